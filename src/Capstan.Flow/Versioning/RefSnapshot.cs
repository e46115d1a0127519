using System.Diagnostics;
using LibGit2Sharp;

namespace Capstan.Flow.Versioning;

/// <summary>Every local branch and tag with the commit it points at, read in one "git for-each-ref" run (it peels annotated tags).</summary>
internal sealed record RefSnapshot(IReadOnlyDictionary<string, string> Branches, IReadOnlyList<(string Name, string Commit)> Tags, string Raw)
{
    public static RefSnapshot Read(Repository repository)
    {
        Process started;
        try
        {
            started = GitRunner.Start(repository.Info.Path, Environment.CurrentDirectory,
                ["for-each-ref", "--format=%(objecttype) %(refname) %(objectname) %(*objectname) %(*objecttype)", "refs/heads", "refs/tags"]);
        }
        catch (InvalidOperationException ex) { throw new FlowException(ex.Message); }
        using var process = started;
        var stderr = process.StandardError.ReadToEndAsync();
        var text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new FlowException($"Reading branches and tags failed: {stderr.Result.Trim()} Check that the repository is intact ('git fsck').");
        var branches = new Dictionary<string, string>(StringComparer.Ordinal);
        var tags = new List<(string, string)>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var f = line.Split(' ');
            if (f.Length < 3) continue;
            if (f[1].StartsWith("refs/heads/", StringComparison.Ordinal) && f[0] == "commit")
                branches[f[1]["refs/heads/".Length..]] = f[2];
            else if (f[1].StartsWith("refs/tags/", StringComparison.Ordinal))
            {
                if (f[0] == "commit") tags.Add((f[1]["refs/tags/".Length..], f[2]));
                else if (f[0] == "tag" && f.Length >= 5 && f[4] == "commit") tags.Add((f[1]["refs/tags/".Length..], f[3]));
            }
        }
        return new RefSnapshot(branches, tags, text);
    }
}
