namespace Capstan.Flow.Changelog;

/// <summary>One commit in a changelog, read as a Conventional Commit when it is one.</summary>
public sealed record ChangelogEntry(
    string Type,
    string? Scope,
    string Description,
    bool Breaking,
    string? BreakingNote,
    string Author,
    string Sha,
    string ShortSha,
    string? Link,
    DateTimeOffset When);

/// <summary>The entries of one Conventional Commit type ("feat" → Features).</summary>
public sealed record ChangelogSection(string Type, string Title, IReadOnlyList<ChangelogEntry> Entries);

/// <summary>The changes between two refs, breaking changes first, then grouped by type.</summary>
public sealed record ChangelogModel(
    string From,
    string To,
    IReadOnlyList<ChangelogEntry> BreakingChanges,
    IReadOnlyList<ChangelogSection> Sections,
    string? CompareLink)
{
    public int Count => Sections.Sum(s => s.Entries.Count);
}
