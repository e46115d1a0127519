using System.Globalization;

namespace Capstan.Flow.Versioning;

/// <summary>Loads GitVersion.yml (or .yaml, .GitVersion.yml) from a work tree and applies it over the GitFlow/v1 defaults.</summary>
public static class ConfigurationFile
{
    public static readonly string[] FileNames = ["GitVersion.yml", "GitVersion.yaml", ".GitVersion.yml", ".GitVersion.yaml"];

    /// <summary>The path of the configuration file in <paramref name="workTree"/>, or null when there is none.</summary>
    public static string? Find(string? workTree) =>
        workTree is null ? null : FileNames.Select(n => Path.Combine(workTree, n)).FirstOrDefault(File.Exists);

    public static VersionConfiguration Load(string? workTree)
    {
        var path = Find(workTree);
        return path is null ? new VersionConfiguration() : Parse(File.ReadAllText(path), Path.GetFileName(path));
    }

    /// <summary>Applies the settings in <paramref name="yaml"/> to the GitFlow/v1 defaults.</summary>
    public static VersionConfiguration Parse(string yaml, string fileName = "GitVersion.yml")
    {
        var root = GitVersionYaml.Parse(yaml, fileName);
        var config = new VersionConfiguration();
        if (root.TryGetValue("workflow", out var wf) && wf is string workflow && !string.Equals(workflow, "GitFlow/v1", StringComparison.OrdinalIgnoreCase))
            throw new FormatException($"{fileName}: workflow '{workflow}' is not supported; Capstan computes versions for 'GitFlow/v1'. Remove the line or set it to GitFlow/v1.");
        config = config with
        {
            Mode = Enum(root, "mode", config.Mode, fileName),
            Label = root.ContainsKey("label") ? Str(root, "label") : config.Label,
            Increment = Enum(root, "increment", config.Increment, fileName),
            TagPrefix = Str(root, "tag-prefix") ?? config.TagPrefix,
            NextVersion = Str(root, "next-version") ?? config.NextVersion,
            VersionInBranchPattern = Str(root, "version-in-branch-pattern") ?? config.VersionInBranchPattern,
            MajorVersionBumpMessage = Str(root, "major-version-bump-message") ?? config.MajorVersionBumpMessage,
            MinorVersionBumpMessage = Str(root, "minor-version-bump-message") ?? config.MinorVersionBumpMessage,
            PatchVersionBumpMessage = Str(root, "patch-version-bump-message") ?? config.PatchVersionBumpMessage,
            NoBumpMessage = Str(root, "no-bump-message") ?? config.NoBumpMessage,
            CommitMessageIncrementing = Enum(root, "commit-message-incrementing", config.CommitMessageIncrementing, fileName),
            CommitDateFormat = Str(root, "commit-date-format") ?? config.CommitDateFormat,
            TagPreReleaseWeight = Int(root, "tag-pre-release-weight") ?? config.TagPreReleaseWeight,
        };
        if (root.TryGetValue("branches", out var b) && b is Dictionary<string, object?> branches)
        {
            var list = config.Branches.ToList();
            foreach (var (key, value) in branches)
            {
                var settings = value as Dictionary<string, object?> ?? new Dictionary<string, object?>();
                var at = list.FindIndex(x => x.Key == key);
                var existing = at >= 0 ? list[at] : new BranchConfiguration { Key = key };
                var updated = Apply(existing, settings, fileName, key);
                if (at >= 0) list[at] = updated;
                else list.Insert(Math.Max(0, list.FindIndex(x => x.Key == "unknown")), updated);
            }
            config = config with { Branches = list };
        }
        return config;
    }

    private static BranchConfiguration Apply(BranchConfiguration b, Dictionary<string, object?> s, string file, string key)
    {
        var prevent = s.TryGetValue("prevent-increment", out var p) && p is Dictionary<string, object?> pd ? pd : new Dictionary<string, object?>();
        return b with
        {
            Regex = Str(s, "regex") ?? b.Regex,
            Mode = s.ContainsKey("mode") ? Enum<DeploymentMode>(s, "mode", default, file) : b.Mode,
            Label = s.ContainsKey("label") ? Str(s, "label") : b.Label,
            LabelSet = s.ContainsKey("label") || b.LabelSet,
            Increment = s.ContainsKey("increment") ? Enum(s, "increment", IncrementStrategy.Inherit, file) : b.Increment,
            PreventIncrementOfMergedBranch = Bool(prevent, "of-merged-branch", file) ?? b.PreventIncrementOfMergedBranch,
            PreventIncrementWhenCurrentCommitTagged = Bool(prevent, "when-current-commit-tagged", file) ?? b.PreventIncrementWhenCurrentCommitTagged,
            TrackMergeTarget = Bool(s, "track-merge-target", file) ?? b.TrackMergeTarget,
            TrackMergeMessage = Bool(s, "track-merge-message", file) ?? b.TrackMergeMessage,
            TracksReleaseBranches = Bool(s, "tracks-release-branches", file) ?? b.TracksReleaseBranches,
            IsReleaseBranch = Bool(s, "is-release-branch", file) ?? b.IsReleaseBranch,
            IsMainBranch = Bool(s, "is-main-branch", file) ?? b.IsMainBranch,
            PreReleaseWeight = Int(s, "pre-release-weight") ?? b.PreReleaseWeight,
            CommitMessageIncrementing = s.ContainsKey("commit-message-incrementing")
                ? Enum(s, "commit-message-incrementing", CommitMessageIncrementing.Enabled, file) : b.CommitMessageIncrementing,
            SourceBranches = s.TryGetValue("source-branches", out var sb) && sb is List<object?> l
                ? l.Select(x => x?.ToString() ?? "").ToList() : b.SourceBranches,
        };
    }

    private static string? Str(Dictionary<string, object?> map, string key) => map.TryGetValue(key, out var v) ? v as string : null;

    private static int? Int(Dictionary<string, object?> map, string key) =>
        Str(map, key) is { } s && int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i : null;

    private static bool? Bool(Dictionary<string, object?> map, string key, string file) => Str(map, key) switch
    {
        null => null,
        var s when bool.TryParse(s, out var b) => b,
        var s => throw new FormatException($"{file}: '{key}' must be true or false, not '{s}'."),
    };

    private static T Enum<T>(Dictionary<string, object?> map, string key, T fallback, string file) where T : struct, System.Enum
    {
        var s = Str(map, key);
        if (s is null) return fallback;
        if (System.Enum.TryParse<T>(s, ignoreCase: true, out var v)) return v;
        throw new FormatException($"{file}: '{key}: {s}' is not valid; use one of {string.Join(", ", System.Enum.GetNames<T>())}.");
    }
}
