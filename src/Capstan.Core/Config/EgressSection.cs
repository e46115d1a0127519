using System.Net;
using Capstan.Core.Egress;
using YamlDotNet.RepresentationModel;

namespace Capstan.Core.Config;

/// <summary>Reads <c>egress: { allow: [HOST | ADDRESS | CIDR, …] }</c> from capstan.yaml.</summary>
internal static class EgressSection
{
    public const string Key = "egress";

    public static EgressRules Read(YamlSource y, YamlMappingNode? root)
    {
        var node = y.Get(root, Key);
        if (node is null || YamlSource.IsNull(node)) return EgressRules.None;
        var map = y.Map(node, Key);
        y.OnlyKeys(map, Key, "allow");
        var hosts = new List<string>();
        var networks = new List<IPNetwork>();
        foreach (var (text, item) in y.Strings(y.Get(map, "allow"), "egress allow"))
        {
            var t = text.Trim();
            if (t.Contains('/'))
            {
                if (IPNetwork.TryParse(t, out var network)) networks.Add(network);
                else y.Fail(item, $"'{t}' is not a network: write it as ADDRESS/BITS with the host bits zero, such as 10.0.0.0/8 or fd00::/8");
            }
            else if (IPAddress.TryParse(t.Trim('[', ']'), out var address)) networks.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8));
            else if (t.Contains("://", StringComparison.Ordinal)) y.Fail(item, $"egress lists hosts and networks, not URLs: write '{new UriBuilder(t).Host}' instead of '{t}'");
            else if (ValidHost(t)) hosts.Add(t.TrimEnd('.'));
            else y.Fail(item, $"'{t}' is not a host name, an IP address or a network (such as db.internal, *.corp.example, 127.0.0.1 or 10.0.0.0/8)");
        }
        return new EgressRules(hosts, networks);
    }

    private static bool ValidHost(string t)
    {
        var name = t.StartsWith("*.", StringComparison.Ordinal) ? t[2..] : t;
        return name.Length > 0 && Uri.CheckHostName(name) == UriHostNameType.Dns;
    }
}
