using System.Collections.Concurrent;
using Capstan.Flow.Tests.Support;
using Xunit.Abstractions;

namespace Capstan.Flow.Tests.Versioning;

/// <summary>Compares Capstan's versions with the real GitVersion 6.8.2 on generated GitFlow histories, branch by branch.</summary>
public class GitVersionDifferentialTests(ITestOutputHelper output)
{
    private static readonly string[] Compared =
    [
        "FullSemVer", "SemVer", "MajorMinorPatch", "Major", "Minor", "Patch", "PreReleaseTag", "PreReleaseLabel", "PreReleaseNumber",
        "CommitsSinceVersionSource", "BuildMetaData", "InformationalVersion", "BranchName", "EscapedBranchName", "Sha", "ShortSha",
        "FullBuildMetaData", "AssemblySemVer", "CommitDate", "WeightedPreReleaseNumber",
    ];

    [Fact]
    public async Task Capstan_matches_GitVersion_on_generated_gitflow_histories()
    {
        var histories = int.TryParse(Environment.GetEnvironmentVariable("CAPSTAN_DIFF_HISTORIES"), out var h) ? h : 80;
        var jobs = new List<(int Seed, TestRepository Repo, string Branch)>();
        try
        {
            for (var seed = 1; seed <= histories; seed++)
            {
                var repo = new TestRepository();
                foreach (var branch in new GitFlowHistory(seed).Build(repo)) jobs.Add((seed, repo, branch));
            }
            var mismatches = new ConcurrentBag<string>();
            var compared = 0;
            using var gate = new SemaphoreSlim(Math.Max(2, Environment.ProcessorCount));
            await Task.WhenAll(jobs.Select(async job =>
            {
                await gate.WaitAsync();
                try
                {
                    var expected = await GitVersionOracle.RunAsync(job.Repo.Path, job.Branch);
                    var actual = Capstan.Flow.Versioning.VersionCalculator.Calculate(job.Repo.Path, job.Branch, useCache: false);
                    foreach (var name in Compared)
                    {
                        actual.TryGet(name, out var mine);
                        var theirs = expected.GetValueOrDefault(name) ?? "";
                        if (mine != theirs)
                            mismatches.Add($"seed {job.Seed} {job.Branch} {name}: GitVersion '{theirs}', Capstan '{mine}' ({job.Repo.Path})");
                    }
                    Interlocked.Increment(ref compared);
                }
                finally { gate.Release(); }
            }));
            foreach (var m in mismatches.Order()) output.WriteLine(m);
            output.WriteLine($"{compared} branch versions compared, {mismatches.Count} differences.");
            if (histories >= 80) Assert.True(compared >= 200, $"only {compared} comparisons ran");
            Assert.Empty(mismatches);
        }
        finally
        {
            if (Environment.GetEnvironmentVariable("CAPSTAN_KEEP_REPOS") is null)
                foreach (var repo in jobs.Select(j => j.Repo).Distinct()) repo.Dispose();
        }
    }
}
