using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Capstan.Chat.Mattermost;

/// <summary>
/// The channels Capstan's rooms are on: a configured <c>team/channel</c> is resolved to its channel id at connect
/// (<c>GET /teams/name/{team}/channels/name/{channel}</c>), a raw channel id is taken as is. People's messages name the
/// room by what is configured, so the host finds the room; Capstan's messages are posted to the id.
/// </summary>
public sealed partial class MattermostChannels
{
    private readonly ConcurrentDictionary<string, string> _ids = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, bool> _direct = new(StringComparer.Ordinal);

    /// <summary>A team/channel name or a 26-character id (what Mattermost's ids look like).</summary>
    public static bool ValidName(string value) => Named().IsMatch(value) || IsId(value);

    public static bool IsId(string value) => Id().IsMatch(value);

    /// <summary>Resolves each configured channel; returns the ones that could not be found (said in the status, not fatal).</summary>
    public async Task<IReadOnlyList<string>> ResolveAsync(IEnumerable<string> configured, MattermostApi api, CancellationToken ct)
    {
        var missing = new List<string>();
        foreach (var value in configured)
        {
            string? id = value;
            if (!IsId(value))
            {
                var (team, channel) = (value[..value.IndexOf('/')], value[(value.IndexOf('/') + 1)..]);
                var found = await api.FindAsync($"teams/name/{Uri.EscapeDataString(team)}/channels/name/{Uri.EscapeDataString(channel)}", ct);
                id = found?["id"]?.GetValue<string>();
            }
            if (id is null) { missing.Add(value); continue; }
            _ids[value] = id;
            _names[id] = value;
        }
        return missing;
    }

    /// <summary>The channel id of a configured room channel (or of an id used directly).</summary>
    public string IdOf(string configured) => _ids.TryGetValue(configured, out var id) ? id
        : IsId(configured) ? configured
        : throw new InvalidOperationException($"The Mattermost channel {configured} was not found at connect; check the team and channel names under platforms.mattermost.rooms and that the bot was added to the team");

    /// <summary>How the configuration names a channel id (the id itself when it is not a configured room).</summary>
    public string NameOf(string id) => _names.TryGetValue(id, out var name) ? name : id;

    /// <summary>The room channels' ids, for catching up on what was said while disconnected.</summary>
    public IEnumerable<string> RoomIds => _names.Keys;

    /// <summary>Direct channels seen while running (caught up on too).</summary>
    public IEnumerable<string> DirectIds => _direct.Keys;

    public void SawDirect(string id) => _direct[id] = true;

    public bool IsDirect(string id) => _direct.ContainsKey(id);

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]*/[a-z0-9_][a-z0-9_-]*$", RegexOptions.IgnoreCase)]
    private static partial Regex Named();

    [GeneratedRegex("^[a-z0-9]{26}$")]
    private static partial Regex Id();
}
