namespace Capstan.Core.Policy;

/// <summary>People, roles, environments and rooms from capstan.yaml, and the rules that decide who may do what.</summary>
public sealed class AccessPolicy
{
    /// <summary>The platform name used for Capstan's own web chat, API and CLI, where a handle is the person's id.</summary>
    public const string CapstanPlatform = "capstan";

    /// <summary>The permission that lets a person change the policy itself.</summary>
    public const string AdminPermission = "admin";

    public IReadOnlyDictionary<string, Person> People { get; }
    public IReadOnlyDictionary<string, Role> Roles { get; }
    public IReadOnlyDictionary<string, EnvironmentInfo> Environments { get; }
    public IReadOnlyDictionary<string, RoomInfo> Rooms { get; }
    public string DefaultRoom { get; }

    public AccessPolicy(IEnumerable<Person> people, IEnumerable<Role> roles, IEnumerable<EnvironmentInfo> environments, IEnumerable<RoomInfo> rooms, string defaultRoom)
    {
        People = people.ToDictionary(p => p.Id, StringComparer.OrdinalIgnoreCase);
        Roles = roles.ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);
        Environments = environments.ToDictionary(e => e.Name, StringComparer.OrdinalIgnoreCase);
        Rooms = rooms.ToDictionary(r => r.Name, StringComparer.OrdinalIgnoreCase);
        DefaultRoom = defaultRoom;
    }

    /// <summary>
    /// Resolves a chat handle on a platform to an actor (a guest when nobody has that handle). A platform whose handles are
    /// not plain names (IRC's accounts and <c>nick!user@host</c> patterns) passes <paramref name="matches"/>, which says whether
    /// a configured handle identifies the speaker; otherwise the configured handle must equal <paramref name="handle"/>.
    /// </summary>
    public Actor Identify(string platform, string handle, string? via = null, Func<string, bool>? matches = null)
    {
        Person? person = null;
        if (platform == CapstanPlatform) People.TryGetValue(handle, out person);
        else
        {
            matches ??= configured => string.Equals(configured, handle, StringComparison.OrdinalIgnoreCase);
            person = People.Values.FirstOrDefault(p => p.Handles.TryGetValue(platform, out var h) && matches(h));
        }
        return new Actor(person, platform, handle, via);
    }

    public IEnumerable<Grant> GrantsOf(Person person) =>
        person.Roles.Where(Roles.ContainsKey).SelectMany(r => Roles[r].Grants);

    /// <summary>Every permission name a person holds in some scope (for whoami and help).</summary>
    public IReadOnlyList<Grant> Permissions(Person person) => GrantsOf(person).ToList();

    /// <summary>Decides whether an actor may use a permission for a command, in an environment and room.</summary>
    public PolicyDecision Check(Actor actor, string? permission, string command, string? environment, string? room)
    {
        if (permission is null) return PolicyDecision.Allow("needs no permission");
        if (actor.Person is not { } person)
            return new(false, $"{actor.Handle} on {actor.Platform} is not linked to anyone Capstan knows, so has no permissions. " +
                $"Ask {GrantersText()} to add `handles: {{ {actor.Platform}: {actor.Handle} }}` to your entry under people: in capstan.yaml.", permission);
        foreach (var role in person.Roles)
        {
            if (!Roles.TryGetValue(role, out var r)) continue;
            foreach (var g in r.Grants)
                if (Covers(g, permission, command, environment, room))
                    return PolicyDecision.Allow($"role {role} grants {g}");
        }
        var partial = GrantsOf(person).Where(g => g.IsEverything || g.Permission == permission).ToList();
        var scope = new List<string>();
        if (environment is not null) scope.Add($"environment '{environment}'");
        if (room is not null && partial.Any(g => g.Rooms.Count > 0)) scope.Add($"room #{room}");
        var where = scope.Count > 0 ? " for " + string.Join(" in ", scope) : "";
        var has = partial.Count > 0
            ? $" Your roles grant '{permission}' only as: {string.Join("; ", partial)}."
            : person.Roles.Count > 0 ? $" Your roles ({string.Join(", ", person.Roles)}) do not include it." : " You hold no roles.";
        return new(false, $"{person.Id} may not run '{command}': it needs permission '{permission}'{where}.{has} {Capitalised(GrantersText())} can grant it in capstan.yaml.", permission);
    }

    /// <summary>Whether the actor may run a command in at least one scope (used to filter help).</summary>
    public bool MayEverUse(Actor actor, string? permission, string command, string? room)
    {
        if (permission is null) return true;
        if (actor.Person is not { } person) return false;
        return GrantsOf(person).Any(g => (g.IsEverything || g.Permission == permission)
            && (g.Commands.Count == 0 || g.Commands.Contains(command, StringComparer.OrdinalIgnoreCase))
            && (room is null || g.Rooms.Count == 0 || g.Rooms.Contains(room, StringComparer.OrdinalIgnoreCase)));
    }

    /// <summary>
    /// Whom a ledger search is for (<see cref="Ledger.LedgerQuery.Reader"/>): nobody in particular for an admin, who
    /// audits everything; otherwise the person, who does not see other people's direct messages.
    /// </summary>
    public string? LedgerReader(Actor actor) =>
        Check(actor, AdminPermission, "ledger", null, null).Allowed ? null : actor.Person?.Id ?? actor.LedgerName;

    /// <summary>The people who hold the admin permission.</summary>
    public IReadOnlyList<Person> Granters() =>
        People.Values.Where(p => GrantsOf(p).Any(g => (g.IsEverything || g.Permission == AdminPermission) && g.Environments.Count == 0 && g.Rooms.Count == 0)).OrderBy(p => p.Id).ToList();

    private string GrantersText()
    {
        var g = Granters();
        return g.Count == 0 ? "whoever maintains the config repo" : "an admin (" + string.Join(", ", g.Select(p => p.Id)) + ")";
    }

    private static string Capitalised(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];

    private static bool Covers(Grant g, string permission, string command, string? environment, string? room)
    {
        if (!g.IsEverything && !string.Equals(g.Permission, permission, StringComparison.OrdinalIgnoreCase)) return false;
        if (g.Commands.Count > 0 && !g.Commands.Contains(command, StringComparer.OrdinalIgnoreCase)) return false;
        if (g.Environments.Count > 0 && (environment is null || !g.Environments.Contains(environment, StringComparer.OrdinalIgnoreCase))) return false;
        if (g.Rooms.Count > 0 && (room is null || !g.Rooms.Contains(room, StringComparer.OrdinalIgnoreCase))) return false;
        return true;
    }
}
