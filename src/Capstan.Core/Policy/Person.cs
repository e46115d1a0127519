namespace Capstan.Core.Policy;

/// <summary>Someone known to Capstan, with the roles they hold and their handles on chat platforms.</summary>
public sealed record Person(string Id, string Name, IReadOnlyList<string> Roles, IReadOnlyDictionary<string, string> Handles, string? Email)
{
    public string Display => Name == Id ? Id : $"{Name} ({Id})";
}

/// <summary>A named set of permission grants.</summary>
public sealed record Role(string Name, string Description, IReadOnlyList<Grant> Grants);

/// <summary>
/// One permission a role grants, optionally limited to some commands, environments or rooms
/// (an empty list means no limit).
/// </summary>
public sealed record Grant(string Permission, IReadOnlyList<string> Commands, IReadOnlyList<string> Environments, IReadOnlyList<string> Rooms)
{
    public bool IsEverything => Permission == "*";

    public override string ToString()
    {
        var limits = new List<string>();
        if (Commands.Count > 0) limits.Add("commands " + string.Join(", ", Commands));
        if (Environments.Count > 0) limits.Add("environments " + string.Join(", ", Environments));
        if (Rooms.Count > 0) limits.Add("rooms " + string.Join(", ", Rooms.Select(r => "#" + r)));
        return limits.Count == 0 ? Permission : $"{Permission} ({string.Join("; ", limits)})";
    }
}

/// <summary>An environment as the policy sees it: its name and whether changes need a second person.</summary>
public sealed record EnvironmentInfo(string Name, bool Protected, string? Room);

/// <summary>A chat room declared in the configuration.</summary>
public sealed record RoomInfo(string Name, string Topic);

/// <summary>Who is speaking: a known person, or a guest whose handle is linked to nobody.</summary>
public sealed record Actor(Person? Person, string Platform, string Handle, string? Via = null)
{
    public bool IsGuest => Person is null;

    /// <summary>The name the ledger records: the person's id, or platform:handle for a guest.</summary>
    public string LedgerName => Person?.Id ?? $"guest:{Platform}:{Handle}";

    public string Display => Person?.Id ?? $"{Handle} (guest on {Platform})";

    /// <summary>
    /// Whose direct-message room this actor may enter (<see cref="Conversation.RoomDirectory.MayEnter"/>): the person's id, or
    /// for a guest a key made of the platform and handle (<c>guest-irc-bob-example-org</c>), so a guest writing to Capstan
    /// directly has a private room of their own that no one else, linked or not, can read.
    /// </summary>
    public string RoomKey => Person?.Id ?? GuestKey(Platform, Handle);

    /// <summary>
    /// The room key of a guest: lower-case letters, digits and dashes only; when the handle had other characters (or was
    /// long) a hash of it follows, so two handles never share a key.
    /// </summary>
    public static string GuestKey(string platform, string handle)
    {
        var lower = handle.ToLowerInvariant();
        var b = new System.Text.StringBuilder("guest-").Append(platform.ToLowerInvariant()).Append('-');
        foreach (var c in lower.Length <= 48 ? lower : lower[..48])
            b.Append(char.IsAsciiLetterOrDigit(c) ? c : '-');
        if (lower.Length > 48 || !lower.All(char.IsAsciiLetterOrDigit))
            b.Append('-').Append(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(handle)))[..10]);
        return b.ToString();
    }
}
