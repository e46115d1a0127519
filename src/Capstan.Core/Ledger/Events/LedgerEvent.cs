using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Capstan.Core.Ledger.Events;

/// <summary>
/// A kind of ledger entry declared as a record: its kind name and version, and its fields as the record's properties
/// (written camelCased, in declaration order, absent when null — the same bytes the anonymous objects wrote before).
/// The writer and every reader share the record, so renaming a field or a kind breaks the build, not a reader.
/// </summary>
public interface ILedgerEvent
{
    /// <summary>The entry's kind, as stored ("delivery.healthy").</summary>
    static abstract string EventKind { get; }

    /// <summary>The version of the fields: 1 until a field's meaning changes (a record then says which version it is).</summary>
    static virtual int EventVersion => 1;
}

/// <summary>Typed appends and reads of <see cref="ILedgerEvent"/> records.</summary>
public static class LedgerEvents
{
    /// <summary>Appends <paramref name="e"/> as an entry of its kind.</summary>
    public static Task<LedgerEntry> AppendAsync<T>(this Ledger ledger, T e, string actor, string? room = null, string? thread = null) where T : ILedgerEvent =>
        ledger.AppendAsync(T.EventKind, actor, room, thread, e);

    /// <summary>Appends <paramref name="e"/> through <paramref name="batch"/> when there is one.</summary>
    public static Task<LedgerEntry> AppendAsync<T>(this Ledger ledger, LedgerBatch? batch, T e, string actor, string? room = null, string? thread = null) where T : ILedgerEvent =>
        ledger.AppendAsync(batch, T.EventKind, actor, room, thread, e);

    /// <summary>Whether the entry is of <typeparamref name="T"/>'s kind.</summary>
    public static bool Is<T>(this LedgerEntry entry) where T : ILedgerEvent => entry.Kind == T.EventKind;

    /// <summary>
    /// The entry's fields as <typeparamref name="T"/>. Fields an older entry lacks are null (or false/0); a field written
    /// with another JSON type throws <see cref="JsonException"/>. Throws <see cref="InvalidOperationException"/> for another kind.
    /// </summary>
    public static T As<T>(this LedgerEntry entry) where T : ILedgerEvent =>
        entry.Kind == T.EventKind
            ? JsonSerializer.Deserialize<T>(entry.Data, Ledger.Json) ?? throw new JsonException($"ledger entry {entry.Seq} ({entry.Kind}) has no fields")
            : throw new InvalidOperationException($"ledger entry {entry.Seq} is {entry.Kind}, not {T.EventKind}");

    /// <summary>The entry's fields as <typeparamref name="T"/> when it is of that kind, otherwise null.</summary>
    public static T? AsOrNull<T>(this LedgerEntry entry) where T : class, ILedgerEvent => entry.Is<T>() ? entry.As<T>() : null;

    /// <summary>What a reader of the ledger sees of <typeparamref name="T"/>: its kind, version and stored field names.</summary>
    public static LedgerEventShape Shape<T>() where T : ILedgerEvent => new(T.EventKind, T.EventVersion, FieldsOf(typeof(T)));

    private static IReadOnlyList<string> FieldsOf(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract")
            .Select(p => p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(p.Name))
            .ToList();
}

/// <summary>A ledger event kind as documentation shows it.</summary>
public sealed record LedgerEventShape(string Kind, int Version, IReadOnlyList<string> Fields)
{
    /// <summary>"`delivery.healthy` {app, environment, …}" — the form the docs' kind lists use.</summary>
    public string Markdown => $"`{Kind}` {{{string.Join(", ", Fields)}}}";
}
