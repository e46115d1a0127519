using Capstan.Chat.Adapters;
using Capstan.Core.Config;
using Microsoft.AspNetCore.Routing;
using YamlDotNet.RepresentationModel;

namespace Capstan.Chat.Platforms;

/// <summary>
/// A chat platform Capstan can join, the way a Serilog sink is one interface: it reads its entry under
/// <c>platforms:</c> in capstan.yaml, makes the adapter that connects, and may serve webhooks (Slack's Events API).
/// Adding a platform is a folder with one of these and a line in <see cref="ChatPlatforms.All"/>.
/// </summary>
public interface IChatPlatform
{
    /// <summary>Its key under <c>platforms:</c> and its platform name in handles and the ledger (<c>irc</c>).</summary>
    string Name { get; }

    /// <summary>The keys its entry may hold besides <c>rooms</c> (anything else is reported as a typo).</summary>
    IReadOnlyList<string> Keys { get; }

    /// <summary>Reads its entry (its <c>rooms:</c> are read already), reporting problems with file:line to <see cref="PlatformReading.Fail"/>.</summary>
    PlatformSettings Read(PlatformReading entry);

    /// <summary>Makes the adapter for these settings (called again when they change).</summary>
    IChatAdapter Create(PlatformSettings settings, IServiceProvider services);

    /// <summary>HTTP endpoints the platform calls (webhooks), if any; mapped whether or not it is configured, answering 404 when it is not.</summary>
    void MapEndpoints(IEndpointRouteBuilder app) { }
}

/// <summary>
/// One platform's settings: the Capstan rooms it joins (Capstan room → the platform's channel id) and the platform's own
/// keys in a record that derives from this one. Records compare by value, so the host restarts an adapter only when its
/// settings changed (<see cref="Fingerprint"/>).
/// </summary>
public abstract record PlatformSettings(string Platform, IReadOnlyDictionary<string, string> Rooms)
{
    /// <summary>A text that changes whenever any setting changes (the host compares it after each configuration commit).</summary>
    public virtual string Fingerprint => ToString() + "|" + string.Join(",", Rooms.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Key + "=" + r.Value));

    /// <summary>Prints the platform only (not <see cref="Fingerprint"/>, which is made from this text: printing it would never end).</summary>
    protected virtual bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Platform = ").Append(Platform);
        return true;
    }

    /// <summary>The Capstan room a platform channel is mapped to, if any.</summary>
    public string? RoomOf(string channel) =>
        Rooms.FirstOrDefault(r => string.Equals(r.Value, channel, StringComparison.OrdinalIgnoreCase)).Key;
}

/// <summary>A secret named in the configuration (<c>{ secret: irc-password }</c>): only its name is in Git; the value comes from the secret store.</summary>
public sealed record SecretName(string Name)
{
    public override string ToString() => "secret:" + Name;
}

/// <summary>What a platform reads its entry from: the YAML, the entry's node and its rooms, and helpers that report problems with file:line.</summary>
public sealed class PlatformReading(YamlSource yaml, YamlMappingNode? entry, string platform, IReadOnlyDictionary<string, string> rooms)
{
    public YamlSource Yaml { get; } = yaml;
    public YamlMappingNode? Entry { get; } = entry;
    public string Platform { get; } = platform;
    public IReadOnlyDictionary<string, string> Rooms { get; } = rooms;

    public YamlNode? Node(string key) => Yaml.Get(Entry, key);

    public void Fail(YamlNode? node, string message) => Yaml.Fail(node ?? Entry, message);

    /// <summary>A text setting; reported as missing when <paramref name="required"/>.</summary>
    public string? Text(string key, bool required = false, string? example = null)
    {
        var value = Yaml.Text(Node(key), $"platforms.{Platform}.{key}");
        if (value is null && required)
            Fail(Entry, $"platforms.{Platform} needs {key}" + (example is null ? "" : $" (for example `{key}: {example}`)"));
        return value;
    }

    public bool? Bool(string key) => Yaml.Bool(Node(key), $"platforms.{Platform}.{key}");

    /// <summary>
    /// A secret setting written <c>{ secret: NAME }</c>. A literal value is refused: the config repo is readable by everyone
    /// who can read Git, so a password there is already leaked.
    /// </summary>
    public SecretName? Secret(string key, bool required = false)
    {
        var node = Node(key);
        if (node is null)
        {
            if (required) Fail(Entry, $"platforms.{Platform} needs {key}: {{ secret: NAME }} (the value goes in the secret store, never in Git)");
            return null;
        }
        var map = Yaml.Map(node, $"platforms.{Platform}.{key}");
        if (map is null) return null;
        Yaml.OnlyKeys(map, $"platforms.{Platform}.{key}", "secret");
        var name = Yaml.Text(Yaml.Get(map, "secret"), $"platforms.{Platform}.{key}.secret");
        if (name is null || !Core.Secrets.SecretStore.ValidName(name))
        {
            Fail(node, $"platforms.{Platform}.{key} must be {{ secret: NAME }} with NAME made of letters, digits, '-' and '_'");
            return null;
        }
        return new SecretName(name);
    }

    /// <summary>An absolute http(s) address setting.</summary>
    public Uri? Url(string key, bool required = false, string? example = null)
    {
        var text = Text(key, required, example);
        if (text is null) return null;
        if (Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && uri.UserInfo.Length == 0) return uri;
        Fail(Node(key), $"platforms.{Platform}.{key} must be an http(s) address such as {example ?? "https://chat.example.org"}, not '{text}'");
        return null;
    }
}
