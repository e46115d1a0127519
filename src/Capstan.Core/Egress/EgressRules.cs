using System.Net;

namespace Capstan.Core.Egress;

/// <summary>
/// The <c>egress:</c> key of capstan.yaml: the hosts and networks Capstan may reach although they are loopback,
/// link-local or private. Everything public is reachable; nothing else is unless listed here.
/// </summary>
public sealed class EgressRules(IReadOnlyList<string> hosts, IReadOnlyList<IPNetwork> networks)
{
    /// <summary>No exceptions: only public addresses are reachable.</summary>
    public static readonly EgressRules None = new([], []);

    /// <summary>Host names (exact, or <c>*.example.com</c> for its subdomains) allowed whatever they resolve to.</summary>
    public IReadOnlyList<string> Hosts { get; } = hosts;

    /// <summary>Networks (a single address is a /32 or /128) allowed.</summary>
    public IReadOnlyList<IPNetwork> Networks { get; } = networks;

    /// <summary>Why Capstan must not connect to <paramref name="address"/> (what <paramref name="host"/> resolved to), or null when it may.</summary>
    public string? Refusal(string host, IPAddress address)
    {
        if (AddressRanges.Kind(address) is not { } kind) return null;
        var plain = AddressRanges.Unwrapped(address);
        if (Networks.Any(n => n.BaseAddress.AddressFamily == plain.AddressFamily && n.Contains(plain)) || Networks.Any(n => n.BaseAddress.AddressFamily == address.AddressFamily && n.Contains(address)))
            return null;
        if (AllowsHost(host)) return null;
        var what = IPAddress.TryParse(host.Trim('[', ']'), out _) ? $"{address} is {kind}" : $"{host} resolves to {address}, {kind}";
        return $"{what}, and capstan.yaml's egress: allow: does not list it, so Capstan did not connect. " +
            $"If Capstan should reach it, an admin adds the host or a network such as {Suggestion(plain)} under egress: allow: in capstan.yaml";
    }

    /// <summary>Whether a host name is listed by name (case-insensitive; <c>*.example.com</c> covers its subdomains).</summary>
    public bool AllowsHost(string host)
    {
        var h = host.Trim('[', ']').TrimEnd('.');
        return Hosts.Any(p => p.StartsWith("*.", StringComparison.Ordinal)
            ? h.EndsWith(p[1..], StringComparison.OrdinalIgnoreCase)
            : string.Equals(p, h, StringComparison.OrdinalIgnoreCase));
    }

    private static string Suggestion(IPAddress a) =>
        a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? $"{a}/32" : $"{a}/128";
}
