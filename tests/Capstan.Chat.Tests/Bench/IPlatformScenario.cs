namespace Capstan.Chat.Tests.Bench;

/// <summary>
/// One platform's benchmark: starts the platform's server (a real one, or the local one the tests use) and a Capstan node
/// with the platform's adapter connected to it, and drives a linked person's client. bench/platforms runs every type
/// implementing this in this assembly and reports, per platform, messages per second, the latency added over the web
/// chat (the same command through the conversation directly, on the same node) and the memory one adapter holds.
/// </summary>
public interface IPlatformScenario
{
    /// <summary>The platform's name (<c>irc</c>).</summary>
    string Platform { get; }

    /// <summary>What the server is: "ngIRCd 26 (Debian)", "local Slack server (tests)".</summary>
    string Server { get; }

    /// <summary>Starts the server, the node and the person's client; returns once the adapter is connected.</summary>
    Task<IPlatformDriver> StartAsync(CancellationToken ct);
}

/// <summary>A running scenario.</summary>
public interface IPlatformDriver : IAsyncDisposable
{
    /// <summary>The person says <paramref name="command"/> to Capstan on the platform (number <paramref name="client"/> of several, each in its own room or thread as the platform allows) and waits for Capstan's answer to arrive at their client.</summary>
    Task RoundTripAsync(int client, string command, CancellationToken ct);

    /// <summary>The same command through the web chat's path (the conversation directly), on the same node: the baseline.</summary>
    Task BaselineAsync(int client, string command, CancellationToken ct);

    /// <summary>Bytes of managed memory held by the adapter alone, measured by the driver (memory with the adapter connected minus without it, after a full collection).</summary>
    long AdapterBytes { get; }
}
