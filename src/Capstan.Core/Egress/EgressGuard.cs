using System.Net;
using System.Net.Sockets;
using Capstan.Core.Config;

namespace Capstan.Core.Egress;

/// <summary>
/// Every outbound connection of every module goes through here: the host is resolved, every address it resolves to
/// is checked against <see cref="EgressRules"/>, and the connection is made to the address that was checked — so a
/// name that answers differently the second time (DNS rebinding) cannot slip through, and neither can a redirect,
/// which needs a new connection. HTTP clients get this as their <see cref="SocketsHttpHandler.ConnectCallback"/>.
/// </summary>
public sealed class EgressGuard(ConfigState config)
{
    /// <summary>The permission a person needs for Capstan to reach an address they typed (a URL or host given as an argument).</summary>
    public const string ReachAnyPermission = "reach-any";

    /// <summary>The rules in force (from the configuration Capstan is running with).</summary>
    public EgressRules Rules => config.Current.Find<EgressRules>() ?? EgressRules.None;

    /// <summary>The host's addresses, every one of them allowed; throws <see cref="EgressRefused"/> when one is not.</summary>
    public async Task<IPAddress[]> ResolveAsync(string host, CancellationToken ct)
    {
        var name = host.Trim('[', ']');
        var addresses = IPAddress.TryParse(name, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(name, ct);
        var rules = Rules;
        // Every address, not just the first: a name answering with one public and one private address is refused.
        foreach (var a in addresses)
            if (rules.Refusal(name, a) is { } why) throw new EgressRefused(why);
        return addresses;
    }

    /// <summary>
    /// Checks a database client's host list (<c>db1,db2:5433</c>; a path is a local socket, treated as loopback) before the
    /// client connects; returns the checked address when there is a single host with a single address, so the caller can
    /// connect to exactly it.
    /// </summary>
    public async Task<IPAddress?> CheckHostsAsync(string? hosts, CancellationToken ct)
    {
        var list = (hosts is { Length: > 0 } h ? h : "localhost").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        IPAddress? single = null;
        foreach (var entry in list)
        {
            if (entry.StartsWith('/') || entry.StartsWith('@'))
            {
                if (Rules.Refusal("localhost", IPAddress.Loopback) is { } why) throw new EgressRefused($"the local socket {entry}: {why}");
                continue;
            }
            var host = entry.StartsWith('[') ? entry[..(entry.IndexOf(']') + 1)] : entry.Count(c => c == ':') == 1 ? entry[..entry.IndexOf(':')] : entry;
            var addresses = await ResolveAsync(host, ct);
            if (list.Length == 1 && addresses.Length == 1) single = addresses[0];
        }
        return single;
    }

    /// <summary>A TCP connection to the host, made to an address that was checked.</summary>
    public async Task<Socket> ConnectAsync(string host, int port, CancellationToken ct)
    {
        var addresses = await ResolveAsync(host, ct);
        SocketException? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, port), ct);
                return socket;
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex; // try the next address, as a resolver-driven connect would
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    /// <summary>The connect step of an HTTP handler: checked like any other connection.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct) =>
        new NetworkStream(await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, ct), ownsSocket: true);

    /// <summary>
    /// An HTTP handler whose every connection is checked. It follows no redirects (callers that follow them do it
    /// themselves, deciding which headers go along) and uses no proxy (a proxy would hide the real destination).
    /// </summary>
    public SocketsHttpHandler Handler() => new()
    {
        ConnectCallback = ConnectAsync,
        AllowAutoRedirect = false,
        UseProxy = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        PooledConnectionLifetime = TimeSpan.FromMinutes(1),
    };

    /// <summary>The refusal inside an HTTP client's exception, if that is what it was.</summary>
    public static EgressRefused? Refusal(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
            if (e is EgressRefused r) return r;
        return null;
    }
}
