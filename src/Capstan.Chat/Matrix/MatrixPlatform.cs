using Capstan.Chat.Adapters;
using Capstan.Chat.Platforms;
using Capstan.Core.Secrets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Matrix;

/// <summary>
/// Settings of the Matrix platform: the homeserver, Capstan's user id and the secret holding its access token; rooms map a
/// Capstan room to a room id (<c>!abc:example.org</c>) or alias (<c>#ops:example.org</c>, resolved when connecting).
/// </summary>
public sealed record MatrixSettings(IReadOnlyDictionary<string, string> Rooms, Uri Homeserver, string User, SecretName Token)
    : PlatformSettings("matrix", Rooms);

/// <summary>Matrix through the client-server API: <c>/sync</c> long-poll in, idempotent sends out.</summary>
public sealed class MatrixPlatform : IChatPlatform
{
    public string Name => "matrix";
    public IReadOnlyList<string> Keys => ["homeserver", "user", "token"];

    public PlatformSettings Read(PlatformReading entry)
    {
        var homeserver = entry.Url("homeserver", required: true, example: "https://matrix.example.org");
        var user = entry.Text("user", required: true, example: "\"@capstan:example.org\"");
        if (user is not null && !MatrixIds.IsUser(user))
            entry.Fail(entry.Node("user"), $"platforms.matrix.user must be a Matrix user id such as @capstan:example.org, not '{user}'");
        var token = entry.Secret("token", required: true);
        foreach (var (room, channel) in entry.Rooms)
            if (!MatrixIds.IsRoom(channel) && !MatrixIds.IsAlias(channel))
                entry.Fail(entry.Node("rooms"), $"platforms.matrix.rooms.{room} must be a room id (!abc:example.org) or an alias (#ops:example.org), not '{channel}'");
        return new MatrixSettings(entry.Rooms, homeserver ?? new Uri("https://matrix.invalid"), user ?? "@capstan:invalid", token ?? new SecretName("matrix"));
    }

    public IChatAdapter Create(PlatformSettings settings, IServiceProvider services) =>
        new MatrixAdapter((MatrixSettings)settings, services.GetRequiredService<SecretStore>(),
            services.GetService<TimeProvider>() ?? TimeProvider.System, (services.GetService<ILoggerFactory>() ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger<MatrixAdapter>());
}

/// <summary>The shapes of Matrix identifiers (sigil, localpart, ':' and server name).</summary>
public static class MatrixIds
{
    public static bool IsUser(string id) => Shaped(id, '@');
    public static bool IsRoom(string id) => Shaped(id, '!');
    public static bool IsAlias(string id) => Shaped(id, '#');

    private static bool Shaped(string id, char sigil) =>
        id.Length is > 3 and <= 255 && id[0] == sigil && id.IndexOf(':') > 1 && id.IndexOf(':') < id.Length - 1 && !id.Any(c => char.IsWhiteSpace(c) || char.IsControl(c));

    /// <summary>The localpart of a user id (<c>capstan</c> of <c>@capstan:example.org</c>).</summary>
    public static string Localpart(string user) => user[1..user.IndexOf(':')];
}
