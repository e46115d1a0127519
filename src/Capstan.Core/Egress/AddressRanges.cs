using System.Net;
using System.Net.Sockets;

namespace Capstan.Core.Egress;

/// <summary>
/// Names the kind of an address Capstan does not reach by default (loopback, link-local, private, reserved), seeing
/// through the IPv6 forms that carry an IPv4 address (::ffff:127.0.0.1, 64:ff9b::, 6to4), so no spelling slips past.
/// </summary>
public static class AddressRanges
{
    private static readonly (IPNetwork Network, string Kind)[] Ranges =
    [
        (IPNetwork.Parse("0.0.0.0/8"), "an unspecified (\"this network\") address"),
        (IPNetwork.Parse("10.0.0.0/8"), "a private address"),
        (IPNetwork.Parse("100.64.0.0/10"), "a carrier-grade NAT (shared) address"),
        (IPNetwork.Parse("127.0.0.0/8"), "a loopback address"),
        (IPNetwork.Parse("169.254.0.0/16"), "a link-local address (cloud metadata lives there)"),
        (IPNetwork.Parse("172.16.0.0/12"), "a private address"),
        (IPNetwork.Parse("192.0.0.0/24"), "a reserved address"),
        (IPNetwork.Parse("192.168.0.0/16"), "a private address"),
        (IPNetwork.Parse("198.18.0.0/15"), "a reserved (benchmarking) address"),
        (IPNetwork.Parse("224.0.0.0/4"), "a multicast address"),
        (IPNetwork.Parse("240.0.0.0/4"), "a reserved address"),
        (IPNetwork.Parse("::/128"), "the unspecified address"),
        (IPNetwork.Parse("::1/128"), "a loopback address"),
        (IPNetwork.Parse("fe80::/10"), "a link-local address"),
        (IPNetwork.Parse("fec0::/10"), "a site-local address"),
        (IPNetwork.Parse("fc00::/7"), "a private (unique local) address"),
        (IPNetwork.Parse("ff00::/8"), "a multicast address"),
    ];

    /// <summary>What kind of non-public address this is, or null for an ordinary public one.</summary>
    public static string? Kind(IPAddress address)
    {
        var a = Unwrapped(address);
        foreach (var (network, kind) in Ranges)
            if (network.BaseAddress.AddressFamily == a.AddressFamily && network.Contains(a)) return kind;
        return null;
    }

    /// <summary>The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), or the address itself.</summary>
    public static IPAddress Unwrapped(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6) return address;
        if (address.IsIPv4MappedToIPv6) return address.MapToIPv4();
        var b = address.GetAddressBytes();
        // ::a.b.c.d (IPv4-compatible, deprecated but still parsed) — not :: or ::1, which are their own kinds.
        if (b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0 && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && b[15] <= 1))
            return new IPAddress(b.AsSpan(12, 4));
        // 64:ff9b::a.b.c.d (NAT64 well-known prefix).
        if (b[0] == 0 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b && b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0)
            return new IPAddress(b.AsSpan(12, 4));
        // 2002:a.b.c.d::/48 (6to4).
        if (b[0] == 0x20 && b[1] == 0x02) return new IPAddress(b.AsSpan(2, 4));
        return address;
    }
}
