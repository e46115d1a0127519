using System.Text.RegularExpressions;

namespace Capstan.Flow.Changelog;

/// <summary>Parses commit messages in the Conventional Commits format ("feat(api)!: add login").</summary>
internal static partial class ConventionalCommit
{
    /// <summary>Section order and titles; anything else goes to "Other changes".</summary>
    public static readonly IReadOnlyList<(string Type, string Title)> Types =
    [
        ("feat", "Features"), ("fix", "Bug fixes"), ("perf", "Performance"), ("refactor", "Refactoring"), ("revert", "Reverts"),
        ("docs", "Documentation"), ("test", "Tests"), ("build", "Build"), ("ci", "Continuous integration"), ("style", "Style"),
        ("chore", "Chores"), ("other", "Other changes"),
    ];

    public static (string Type, string? Scope, string Description, bool Breaking, string? BreakingNote) Parse(string message)
    {
        var lines = message.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var subject = lines[0].Trim();
        var footer = BreakingFooter().Match(message);
        string? note = footer.Success ? footer.Groups["note"].Value.Trim() : null;
        var m = Header().Match(subject);
        if (!m.Success) return ("other", null, subject, footer.Success, note);
        var type = m.Groups["type"].Value.ToLowerInvariant();
        type = type switch { "feature" => "feat", "bugfix" => "fix", _ => type };
        if (!Types.Any(t => t.Type == type)) type = "other";
        var scope = m.Groups["scope"].Success && m.Groups["scope"].Value.Length > 0 ? m.Groups["scope"].Value : null;
        var breaking = m.Groups["bang"].Success || footer.Success;
        return (type, scope, m.Groups["desc"].Value.Trim(), breaking, note ?? (m.Groups["bang"].Success ? m.Groups["desc"].Value.Trim() : null));
    }

    [GeneratedRegex(@"^(?<type>[A-Za-z]+)(?:\((?<scope>[^)]*)\))?(?<bang>!)?:\s*(?<desc>.+)$")]
    private static partial Regex Header();

    [GeneratedRegex(@"^BREAKING[ -]CHANGE:\s*(?<note>.+)$", RegexOptions.Multiline)]
    private static partial Regex BreakingFooter();
}
