namespace Capstan.Flow.Tests.Support;

/// <summary>
/// Builds a random but realistic GitFlow history from a seed: features and bugfixes (open, merged --no-ff or fast-forwarded),
/// releases (beta tags, finished AVH-style by merging the tag back or GitVersion-test-style by merging the branch back),
/// hotfixes (into develop or the open release), support branches with their own hotfixes, lightweight and annotated tags
/// with and without a "v" prefix, and "+semver:" bump messages.
/// </summary>
public sealed class GitFlowHistory(int seed)
{
    private readonly Random random = new(seed);
    private readonly FastImportHistory h = new();
    private (int Major, int Minor, int Patch) released = (1, 0, 0);
    private bool anyRelease;
    private int features;
    private string? openRelease;
    private string? openHotfix;
    private readonly Dictionary<string, (int Major, int Minor, int Patch)> supports = [];

    public string Prefix { get; } = seed % 3 == 0 ? "v" : "";

    /// <summary>Builds the history in the empty repository <paramref name="repo"/> and returns every local branch.</summary>
    public IReadOnlyList<string> Build(TestRepository repo)
    {
        h.Commit("main", "initial");
        if (random.Next(4) != 0) { Tag($"{released.Major}.0.0", "main"); anyRelease = true; }
        h.Start("develop", "main");
        if (random.Next(2) == 0) h.Commit("develop", "develop work");
        var steps = 3 + random.Next(9);
        for (var i = 0; i < steps; i++)
        {
            switch (random.Next(14))
            {
                case 0 or 1 or 2: Feature(finish: random.Next(5) != 0); break;
                case 3 or 4: Release(finish: random.Next(4) != 0); break;
                case 5 or 6: Hotfix(finish: random.Next(3) != 0); break;
                case 7: h.Commit("develop", DevelopMessage()); break;
                case 8: Bugfix(); break;
                case 9: if (random.Next(2) == 0) h.Commit("main", "main fix"); break;
                case 10 or 11: Support(); break;
                default: Feature(finish: true); break;
            }
        }
        // The branch left checked out varies too; GitVersion is asked with /b so it does not matter which.
        var all = h.Branches.ToList();
        var head = all[random.Next(all.Count)];
        h.Start(head, head);
        h.Import(repo.Path);
        return all.Order(StringComparer.Ordinal).ToList();
    }

    private string DevelopMessage() => random.Next(8) switch
    {
        0 => "breaking change +semver: major",
        1 => "new api +semver: minor",
        2 => "small fix +semver: patch",
        3 => "docs only +semver: none",
        _ => "develop work",
    };

    private void Tag(string version, string branch)
    {
        var name = Prefix + version;
        if (random.Next(3) == 0) h.Tag(name, branch);
        else h.Tag(name, branch, "Release " + version);
    }

    private void Feature(bool finish)
    {
        var name = $"feature/f{++features}" + (random.Next(3) == 0 ? "-JIRA-" + random.Next(100, 999) : "");
        h.Start(name, "develop");
        var commits = 1 + random.Next(3);
        for (var i = 0; i < commits; i++)
            h.Commit(name, random.Next(8) switch { 0 => "feat: thing +semver: minor", 1 => "feat!: rework +semver: major", _ => "feature work" });
        if (!finish) return;
        if (commits == 1 && random.Next(3) != 0) h.FastForward("develop", name);
        else h.Merge("develop", name);
        h.Delete(name);
    }

    private void Bugfix()
    {
        var name = $"bugfix/b{++features}";
        h.Start(name, "develop").Commit(name, random.Next(4) == 0 ? "fix: bug +semver: patch" : "fix: bug");
        if (random.Next(2) == 0) h.Merge("develop", name).Delete(name);
    }

    private void Release(bool finish)
    {
        if (openRelease is null)
        {
            var next = random.Next(8) == 0 ? (released.Major + 1, 0, 0) : (released.Major, released.Minor + 1, 0);
            openRelease = $"release/{next.Item1}.{next.Item2}.0";
            h.Start(openRelease, "develop");
            var commits = random.Next(3);
            for (var i = 0; i < commits; i++) h.Commit(openRelease, "release prep");
            if (random.Next(5) == 0)
            {
                h.Tag($"{Prefix}{next.Item1}.{next.Item2}.0-beta.1", openRelease);
                h.Commit(openRelease, "after beta");
            }
            if (random.Next(3) == 0) h.Commit("develop", DevelopMessage()); // development continues while the release is frozen
        }
        if (!finish) return;
        var version = openRelease["release/".Length..];
        h.Merge("main", openRelease);
        Tag(version, "main");
        if (random.Next(4) == 0) h.Merge("develop", openRelease); // GitVersion's own tests merge the branch back
        else h.Merge("develop", Prefix + version); // AVH merges the tag back
        h.Delete(openRelease);
        openRelease = null;
        released = Parse(version);
        anyRelease = true;
    }

    private void Hotfix(bool finish)
    {
        if (openHotfix is null)
        {
            var next = $"{released.Major}.{released.Minor}.{released.Patch + 1}";
            if (h.HasTag(Prefix + next) || h.Exists("hotfix/" + next)) return; // a support branch already shipped it
            openHotfix = "hotfix/" + next;
            h.Start(openHotfix, "main").Commit(openHotfix, random.Next(5) == 0 ? "fix: hot +semver: minor" : "fix: hot");
        }
        if (!finish) return;
        var version = openHotfix["hotfix/".Length..];
        h.Merge("main", openHotfix);
        Tag(version, "main");
        // AVH merges a finished hotfix into the open release branch instead of develop when there is one.
        var back = openRelease is not null && random.Next(2) == 0 ? openRelease : "develop";
        h.Merge(back, Prefix + version);
        h.Delete(openHotfix);
        openHotfix = null;
        released = Parse(version);
    }

    /// <summary>A support branch cut from the last release tag, then a hotfix or a direct commit on it.</summary>
    private void Support()
    {
        if (!anyRelease) return;
        var existing = supports.Keys.FirstOrDefault();
        if (existing is null || random.Next(3) == 0)
        {
            var name = $"support/{released.Major}.{released.Minor}.x";
            if (h.Exists(name)) return;
            h.Start(name, Prefix + $"{released.Major}.{released.Minor}.{released.Patch}");
            supports[name] = released;
            existing = name;
        }
        var v = supports[existing];
        if (random.Next(3) == 0)
        {
            h.Commit(existing, "support fix");
            return;
        }
        var next = (v.Major, v.Minor, v.Patch + 1);
        var hotfix = $"hotfix/{next.Major}.{next.Minor}.{next.Item3}";
        if (h.Exists(hotfix) || hotfix == openHotfix || h.HasTag($"{Prefix}{next.Major}.{next.Minor}.{next.Item3}")) return;
        h.Start(hotfix, existing).Commit(hotfix, "fix: on support");
        if (random.Next(4) == 0) return; // left open
        h.Merge(existing, hotfix);
        Tag($"{next.Major}.{next.Minor}.{next.Item3}", existing);
        h.Delete(hotfix);
        supports[existing] = next;
    }

    private static (int, int, int) Parse(string version)
    {
        var p = version.Split('.').Select(int.Parse).ToArray();
        return (p[0], p[1], p[2]);
    }
}
