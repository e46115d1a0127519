using Capstan.Delivery.Apps;

namespace Capstan.Delivery.Targets;

/// <summary>
/// The targets this server can run apps on, by name. An environment's <c>target:</c> key picks one; a target added later
/// (a registration of another <see cref="ITarget"/>) replaces one of the same name, so a test or a bench can stand in for it.
/// </summary>
public sealed class TargetRegistry
{
    /// <summary>The target an environment uses when it names none.</summary>
    public const string Default = Process.ProcessTarget.Name;

    /// <summary>The names of the targets built into Capstan, which capstan.yaml is checked against.</summary>
    public static readonly IReadOnlyList<string> BuiltIn = [Process.ProcessTarget.Name];

    private readonly Dictionary<string, ITarget> _byName = new(StringComparer.Ordinal);

    public TargetRegistry(IEnumerable<ITarget> targets)
    {
        foreach (var t in targets) _byName[t.Kind] = t;
    }

    /// <summary>Every target, each once.</summary>
    public IReadOnlyCollection<ITarget> All => _byName.Values;

    /// <summary>The target named <paramref name="name"/>; the default target when it is not registered (the config was checked against <see cref="BuiltIn"/>).</summary>
    public ITarget Named(string? name) =>
        _byName.TryGetValue(name ?? Default, out var t) ? t : _byName.TryGetValue(Default, out var d) ? d : _byName.Values.First();

    /// <summary>The target that runs <paramref name="slot"/> under <paramref name="config"/>.</summary>
    public ITarget For(DeliveryConfig config, Slot slot) => Named(config.Policy(slot.Environment).Target);

    /// <summary>Every slot any target has something running or recorded for.</summary>
    public IEnumerable<Slot> Slots => _byName.Values.SelectMany(t => t.Slots);
}
