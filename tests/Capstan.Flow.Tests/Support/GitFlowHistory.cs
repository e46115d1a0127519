namespace Capstan.Flow.Tests.Support;

/// <summary>Builds a random but realistic GitFlow history (features, releases, hotfixes, support, tags, bump messages) from a seed.</summary>
public sealed class GitFlowHistory(int seed)
{
    private readonly Random random = new(seed);
    private int minor = 0;
    private int major = 1;
    private int patch;
    private int features;
    private string? openRelease;
    private string? openHotfix;

    public string Prefix { get; } = seed % 3 == 0 ? "v" : "";

    /// <summary>Builds the history in <paramref name="repo"/> and returns the local branches worth asking a version for.</summary>
    public IReadOnlyList<string> Build(TestRepository repo)
    {
        repo.Commit("initial");
        if (random.Next(4) != 0) Tag(repo, $"{major}.0.0");
        repo.Branch("develop");
        if (random.Next(2) == 0) repo.Commit("develop work");
        var steps = 3 + random.Next(6);
        for (var i = 0; i < steps; i++)
        {
            switch (random.Next(10))
            {
                case 0 or 1 or 2: Feature(repo, finish: random.Next(5) != 0); break;
                case 3 or 4: Release(repo, finish: random.Next(4) != 0); break;
                case 5: Hotfix(repo, finish: random.Next(3) != 0); break;
                case 6: repo.Checkout("develop").Commit(random.Next(6) == 0 ? "breaking +semver: major" : random.Next(4) == 0 ? "+semver: minor" : "develop work"); break;
                case 7: Bugfix(repo); break;
                case 8: repo.Checkout("main"); if (random.Next(2) == 0) repo.Commit("main fix"); break;
                default: Feature(repo, finish: true); break;
            }
        }
        var branches = Support.Git.Ok(repo.Path, null, "for-each-ref", "--format=%(refname:short)", "refs/heads").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return branches.OrderBy(_ => random.Next()).Take(4).ToList();
    }

    private void Tag(TestRepository repo, string version)
    {
        var name = Prefix + version;
        if (random.Next(3) == 0) repo.Tag(name);
        else repo.AnnotatedTag(name, "Release " + version);
    }

    private void Feature(TestRepository repo, bool finish)
    {
        var name = $"feature/f{++features}" + (random.Next(3) == 0 ? "-JIRA-" + random.Next(100, 999) : "");
        repo.Checkout("develop").Branch(name);
        var commits = 1 + random.Next(3);
        for (var i = 0; i < commits; i++) repo.Commit(random.Next(8) == 0 ? "feat: thing +semver: minor" : "feature work");
        if (!finish) return;
        repo.Checkout("develop");
        if (commits == 1 && random.Next(3) != 0) repo.Git("merge", "-q", "--ff-only", name);
        else repo.Merge(name);
        repo.Delete(name);
    }

    private void Bugfix(TestRepository repo)
    {
        var name = $"bugfix/b{++features}";
        repo.Checkout("develop").Branch(name).Commit("fix: bug");
        if (random.Next(2) == 0) repo.Checkout("develop").Merge(name).Delete(name);
    }

    private void Release(TestRepository repo, bool finish)
    {
        if (openRelease is null)
        {
            minor++;
            patch = 0;
            if (random.Next(8) == 0) { major++; minor = 0; }
            openRelease = $"release/{major}.{minor}.0";
            repo.Checkout("develop").Branch(openRelease);
            var commits = random.Next(3);
            for (var i = 0; i < commits; i++) repo.Commit("release prep");
            if (random.Next(5) == 0) { repo.Tag($"{Prefix}{major}.{minor}.0-beta.1"); repo.Commit("after beta"); }
        }
        if (!finish) return;
        var version = openRelease["release/".Length..];
        repo.Checkout("main").Merge(openRelease);
        Tag(repo, version);
        repo.Checkout("develop");
        if (random.Next(4) == 0) repo.Merge(openRelease); // GitVersion's own tests merge the branch back
        else repo.Git("merge", "-q", "--no-ff", "--no-edit", Prefix + version); // AVH merges the tag back
        repo.Delete(openRelease);
        openRelease = null;
    }

    private void Hotfix(TestRepository repo, bool finish)
    {
        if (openHotfix is null)
        {
            patch++;
            openHotfix = $"hotfix/{major}.{minor}.{patch}";
            repo.Checkout("main").Branch(openHotfix).Commit("fix: hot");
        }
        if (!finish) return;
        var version = openHotfix["hotfix/".Length..];
        repo.Checkout("main").Merge(openHotfix);
        Tag(repo, version);
        repo.Checkout("develop").Git("merge", "-q", "--no-ff", "--no-edit", Prefix + version);
        repo.Delete(openHotfix);
        openHotfix = null;
    }
}
