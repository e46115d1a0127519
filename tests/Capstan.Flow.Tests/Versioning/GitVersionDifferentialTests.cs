using System.Collections.Concurrent;
using System.Diagnostics;
using Capstan.Flow.Tests.Support;
using Xunit.Abstractions;

namespace Capstan.Flow.Tests.Versioning;

/// <summary>Compares Capstan's versions with the real GitVersion 6.8.2 on generated GitFlow histories, on every branch.</summary>
public class GitVersionDifferentialTests(ITestOutputHelper output)
{
    private const int DefaultHistories = 220;

    private static readonly string[] Compared =
    [
        "FullSemVer", "SemVer", "MajorMinorPatch", "Major", "Minor", "Patch", "PreReleaseTag", "PreReleaseLabel", "PreReleaseNumber",
        "CommitsSinceVersionSource", "BuildMetaData", "InformationalVersion", "BranchName", "EscapedBranchName", "Sha", "ShortSha",
        "FullBuildMetaData", "AssemblySemVer", "CommitDate", "WeightedPreReleaseNumber",
    ];

    [Fact]
    public async Task Capstan_matches_GitVersion_on_generated_gitflow_histories()
    {
        var histories = int.TryParse(Environment.GetEnvironmentVariable("CAPSTAN_DIFF_HISTORIES"), out var h) ? h : DefaultHistories;
        var firstSeed = int.TryParse(Environment.GetEnvironmentVariable("CAPSTAN_DIFF_FIRST_SEED"), out var f) ? f : 1;
        var jobs = new ConcurrentBag<(int Seed, TestRepository Repo, string Branch)>();
        var clock = Stopwatch.StartNew();
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(firstSeed, histories), new ParallelOptions { MaxDegreeOfParallelism = 2 }, (seed, _) =>
            {
                var repo = new TestRepository(init: false);
                Support.Git.Ok(repo.Path, null, "init", "-q", "-b", "main");
                foreach (var branch in new GitFlowHistory(seed).Build(repo)) jobs.Add((seed, repo, branch));
                return ValueTask.CompletedTask;
            });
            var built = clock.Elapsed;
            var ordered = jobs.OrderBy(j => j.Seed).ThenBy(j => j.Branch, StringComparer.Ordinal).ToList();

            // Capstan runs alongside; GitVersion runs in-process one at a time (see GitVersionOracle).
            // Two dedicated threads, because the calculations block on git processes and would starve the thread pool GitVersion awaits on.
            var mine = ordered.Select(_ => new TaskCompletionSource<Capstan.Flow.Versioning.VersionVariables>()).ToList();
            var next = -1;
            var workers = Enumerable.Range(0, 2).Select(_ => new Thread(() =>
            {
                for (var i = Interlocked.Increment(ref next); i < ordered.Count; i = Interlocked.Increment(ref next))
                {
                    try { mine[i].SetResult(Capstan.Flow.Versioning.VersionCalculator.Calculate(ordered[i].Repo.Path, ordered[i].Branch, useCache: false)); }
                    catch (Exception e) { mine[i].SetException(e); }
                }
            })
            { IsBackground = true }).ToList();
            workers.ForEach(w => w.Start());
            var mismatches = new List<string>();
            var oracleTime = TimeSpan.Zero;
            for (var i = 0; i < ordered.Count; i++)
            {
                var job = ordered[i];
                var started = clock.Elapsed;
                var expected = await GitVersionOracle.RunAsync(job.Repo.Path, job.Branch);
                oracleTime += clock.Elapsed - started;
                var actual = await mine[i].Task;
                foreach (var name in Compared)
                {
                    actual.TryGet(name, out var value);
                    var theirs = expected.GetValueOrDefault(name) ?? "";
                    if (value != theirs)
                        mismatches.Add($"seed {job.Seed} {job.Branch} {name}: GitVersion '{theirs}', Capstan '{value}' ({job.Repo.Path})");
                }
            }
            foreach (var m in mismatches) output.WriteLine(m);
            output.WriteLine($"{histories} histories built in {built.TotalSeconds:F1} s; {ordered.Count} branch versions compared " +
                             $"in {(clock.Elapsed - built).TotalSeconds:F1} s (GitVersion {oracleTime.TotalSeconds:F1} s), {mismatches.Count} differences.");
            Assert.True(ordered.Count >= 3 * histories, $"only {ordered.Count} branches in {histories} histories");
            foreach (var kind in new[] { "feature/", "release/", "hotfix/", "support/", "bugfix/" })
                Assert.Contains(ordered, j => j.Branch.StartsWith(kind, StringComparison.Ordinal));
            Assert.Empty(mismatches);
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("CAPSTAN_KEEP_REPOS") is null)
                foreach (var repo in jobs.Select(j => j.Repo).Distinct()) repo.Dispose();
        }
    }

    [Fact]
    public async Task GitVersion_in_process_gives_what_the_gitversion_command_prints()
    {
        using var repo = new TestRepository(init: false);
        Support.Git.Ok(repo.Path, null, "init", "-q", "-b", "main");
        var branches = new GitFlowHistory(7).Build(repo);
        foreach (var branch in branches.Take(3))
        {
            var command = await GitVersionOracle.RunProcessAsync(repo.Path, branch);
            var inProcess = await GitVersionOracle.RunAsync(repo.Path, branch);
            foreach (var name in Compared) Assert.Equal(command.GetValueOrDefault(name), inProcess.GetValueOrDefault(name));
        }
    }
}
