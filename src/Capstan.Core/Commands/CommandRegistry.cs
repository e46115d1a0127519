using System.Collections.Concurrent;

namespace Capstan.Core.Commands;

/// <summary>
/// Every command Capstan understands, from the core and from each module. Modules add theirs through
/// <see cref="ICommandModule"/>; custom commands can be added and replaced at run time.
/// </summary>
public sealed class CommandRegistry
{
    private readonly ConcurrentDictionary<string, CommandSpec> _byId = new(StringComparer.OrdinalIgnoreCase);
    private volatile Dictionary<string, CommandSpec> _byWords = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    public IEnumerable<CommandSpec> All => _byId.Values.OrderBy(c => c.Group, StringComparer.Ordinal).ThenBy(c => c.Id, StringComparer.Ordinal);

    public CommandRegistry Add(CommandSpec spec)
    {
        lock (_gate)
        {
            foreach (var words in new[] { spec.Id }.Concat(spec.Aliases))
                if (_byWords.TryGetValue(words, out var other) && !string.Equals(other.Id, spec.Id, StringComparison.OrdinalIgnoreCase))
                    throw new InvalidOperationException($"'{words}' is already the name of command '{other.Id}'");
            _byId[spec.Id] = spec;
            Rebuild();
        }
        return this;
    }

    public bool Remove(string id)
    {
        lock (_gate)
        {
            var removed = _byId.TryRemove(id, out _);
            if (removed) Rebuild();
            return removed;
        }
    }

    public CommandSpec? Find(string idOrAlias) => _byWords.GetValueOrDefault(idOrAlias);

    /// <summary>The longest run of leading words that names a command, and how many words it used.</summary>
    public (CommandSpec? Spec, int Words) Match(IReadOnlyList<string> words)
    {
        var map = _byWords;
        for (var n = Math.Min(4, words.Count); n >= 1; n--)
            if (map.TryGetValue(string.Join(' ', words.Take(n)), out var spec)) return (spec, n);
        return (null, 0);
    }

    /// <summary>Every name (ids and aliases) a command is known by.</summary>
    public IReadOnlyCollection<string> Names => _byWords.Keys;

    private void Rebuild()
    {
        var map = new Dictionary<string, CommandSpec>(StringComparer.OrdinalIgnoreCase);
        foreach (var s in _byId.Values)
            foreach (var w in new[] { s.Id }.Concat(s.Aliases))
                map[w] = s;
        _byWords = map;
    }
}

/// <summary>A module's way to contribute commands to the registry.</summary>
public interface ICommandModule
{
    void Register(CommandRegistry registry);
}
