using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Capstan.Core.Egress;
using Capstan.Runbooks.Config;

namespace Capstan.Runbooks.Steps;

/// <summary>Turns socket failures into sentences that name the host and what went wrong.</summary>
public static class NetworkProblem
{
    public static string Describe(string host, int port, Exception ex)
    {
        if (EgressGuard.Refusal(ex) is { } refused) return refused.Message;
        var socket = ex as SocketException ?? ex.InnerException as SocketException;
        return socket?.SocketErrorCode switch
        {
            SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => $"cannot resolve host '{host}' (DNS has no address for it)",
            SocketError.ConnectionRefused => $"{host}:{port} refused the connection (nothing listens there?)",
            SocketError.HostUnreachable or SocketError.NetworkUnreachable => $"{host}:{port} is unreachable from this server",
            SocketError.TimedOut => $"{host}:{port} did not answer the connection",
            _ => $"cannot reach {host}:{port}: {(socket?.Message ?? ex.Message)}",
        };
    }
}

/// <summary>Runs tcp steps: opens a connection (to an address the egress guard checked) and closes it.</summary>
public static class TcpProbe
{
    public static async Task<Dictionary<string, string>> RunAsync(TcpStep step, Scope scope, EgressGuard egress, CancellationToken ct)
    {
        var host = scope.Resolve(step.Host);
        var portText = scope.Resolve(step.Port);
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
            throw new StepProblem($"'{portText}' is not a TCP port (1–65535)");
        scope.Reach.CheckDestination(step, step.Host, host, null);
        try
        {
            using var socket = await egress.ConnectAsync(host, port, ct);
        }
        catch (EgressRefused ex)
        {
            throw new StepProblem(ex.Message);
        }
        catch (SocketException ex)
        {
            throw new StepProblem(NetworkProblem.Describe(host, port, ex));
        }
        return new() { ["host"] = host, ["port"] = portText, ["detail"] = $"{host}:{port} accepts connections" };
    }
}

/// <summary>
/// Runs dns steps: resolves a name, optionally expecting one address among the answers. A name that resolves to a
/// loopback, link-local or private address the egress rules do not allow is refused like a connection would be, so
/// a dns step cannot map the internal network either.
/// </summary>
public static class DnsProbe
{
    public static async Task<Dictionary<string, string>> RunAsync(DnsStep step, Scope scope, EgressGuard egress, CancellationToken ct)
    {
        var host = scope.Resolve(step.Host);
        scope.Reach.CheckDestination(step, step.Host, host, null);
        IPAddress[] addresses;
        try
        {
            addresses = await egress.ResolveAsync(host, ct);
        }
        catch (EgressRefused ex)
        {
            throw new StepProblem(ex.Message);
        }
        catch (SocketException ex)
        {
            throw new StepProblem(NetworkProblem.Describe(host, 0, ex).Replace(":0", "", StringComparison.Ordinal));
        }
        var list = string.Join(", ", addresses.Select(a => a.ToString()));
        if (addresses.Length == 0) throw new StepProblem($"'{host}' resolves to no address");
        if (step.ExpectAddress is { } want && !addresses.Any(a => a.ToString() == want))
            throw new StepProblem($"'{host}' resolves to {list}, not {want}");
        return new() { ["addresses"] = list, ["address"] = addresses[0].ToString(), ["detail"] = $"{host} → {list}" };
    }
}
