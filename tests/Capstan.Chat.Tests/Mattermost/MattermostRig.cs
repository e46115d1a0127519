using Capstan.Chat.Adapters;
using Capstan.Chat.Mattermost;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;

namespace Capstan.Chat.Tests.Mattermost;

/// <summary>
/// A local Mattermost server with a team channel <c>eng/ops</c> (bob is a member), a Capstan node connected to it with
/// bob's handle <c>bob</c>, and the node's actions endpoint on a local web host (where the server sends clicks).
/// </summary>
public sealed class MattermostRig : IAsyncDisposable
{
    public LocalMattermost Server { get; }
    public ChatNode Node { get; }
    public MattermostPlatform Platform { get; }
    public string Bob { get; }
    public string Ops { get; }
    public string SecretVariable { get; }
    private readonly WebApplication _web;

    private MattermostRig(LocalMattermost server, ChatNode node, MattermostPlatform platform, WebApplication web, string bob, string ops, string secretVariable)
    {
        Server = server;
        Node = node;
        Platform = platform;
        _web = web;
        Bob = bob;
        Ops = ops;
        SecretVariable = secretVariable;
    }

    public static async Task<MattermostRig> StartAsync(Action<LocalMattermost>? prepare = null, bool waitConnected = true)
    {
        var server = await LocalMattermost.StartAsync();
        var bob = server.AddUser("bob");
        var ops = server.AddChannel("ops", bob);
        prepare?.Invoke(server);
        var platform = new MattermostPlatform();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var web = builder.Build();
        platform.MapEndpoints(web);
        await web.StartAsync();
        var secret = "mm-" + Guid.NewGuid().ToString("N")[..10];
        var variable = Core.Secrets.SecretStore.VariableName(secret);
        Environment.SetEnvironmentVariable(variable, LocalMattermost.BotToken);
        var yaml = $"platforms:\n  mattermost: {{ url: \"{server.Url}\", token: {{ secret: {secret} }}, actionsUrl: \"{web.Urls.First()}{MattermostSettings.ActionsPath}\", rooms: {{ ops: eng/ops }} }}";
        var node = await ChatNode.StartAsync([platform], yaml, y => y.Replace("handles: { irc: bob }", "handles: { irc: bob, mattermost: bob }"));
        var rig = new MattermostRig(server, node, platform, web, bob, ops, variable);
        if (waitConnected)
            await Eventually.TrueAsync(() => rig.Status?.State == AdapterState.Connected && server.OpenSockets == 1, "Capstan connects to the local Mattermost");
        return rig;
    }

    public AdapterStatus? Status => Node.Host.Statuses.SingleOrDefault();

    public async ValueTask DisposeAsync()
    {
        await Node.DisposeAsync();
        await _web.StopAsync();
        await _web.DisposeAsync();
        await Server.DisposeAsync();
        Environment.SetEnvironmentVariable(SecretVariable, null);
    }
}
