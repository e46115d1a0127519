using System.Data.Common;
using System.Globalization;
using Capstan.Core.Storage;
using Dapper;

namespace Capstan.Chat.Store;

/// <summary>The chat module's tables in the node's database (<see cref="ChatMigrations"/>), in the SQL both dialects share.</summary>
public sealed class ChatStore(IDatabase db, TimeProvider clock) : IChatStore
{
    private async Task<DbConnection> OpenAsync(CancellationToken ct)
    {
        await db.MigrateAsync(ChatMigrations.All, ct);
        return await db.OpenConnectionAsync(ct);
    }

    private string Now => Time(clock.GetUtcNow());
    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    public async Task<bool> ClaimDeliveryAsync(string platform, string deliveryId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var added = await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO chat_deliveries (platform, delivery_id, at) VALUES (@platform, @deliveryId, @at) ON CONFLICT DO NOTHING",
            new { platform, deliveryId, at = Now }, cancellationToken: ct));
        return added == 1;
    }

    public async Task<int> ForgetDeliveriesAsync(DateTimeOffset before, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition("DELETE FROM chat_deliveries WHERE at < @before", new { before = Time(before) }, cancellationToken: ct));
    }

    public async Task MapMessageAsync(string platform, string capstanId, PlatformMessage message, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO chat_messages (platform, capstan_id, channel, ref, at) VALUES (@platform, @capstanId, @channel, @ref, @at) ON CONFLICT DO NOTHING",
            new { platform, capstanId, channel = message.Channel, @ref = message.Ref, at = Now }, cancellationToken: ct));
    }

    public async Task<PlatformMessage?> PlatformMessageAsync(string platform, string capstanId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<(string Channel, string Ref)?>(new CommandDefinition(
            "SELECT channel, ref FROM chat_messages WHERE platform = @platform AND capstan_id = @capstanId", new { platform, capstanId }, cancellationToken: ct));
        return row is { } r ? new PlatformMessage(r.Channel, r.Ref) : null;
    }

    public async Task<string?> CapstanIdAsync(string platform, string messageRef, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QueryFirstOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT capstan_id FROM chat_messages WHERE platform = @platform AND ref = @messageRef ORDER BY at LIMIT 1", new { platform, messageRef }, cancellationToken: ct));
    }

    public async Task<string?> CursorAsync(string platform, string key, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT value FROM chat_cursors WHERE platform = @platform AND key = @key", new { platform, key }, cancellationToken: ct));
    }

    public async Task SaveCursorAsync(string platform, string key, string value, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO chat_cursors (platform, key, value) VALUES (@platform, @key, @value) ON CONFLICT (platform, key) DO UPDATE SET value = excluded.value",
            new { platform, key, value }, cancellationToken: ct));
    }

    public async Task SaveChannelAsync(string platform, PlatformChannel channel, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync(new CommandDefinition(
            "INSERT INTO chat_channels (platform, room, channel, direct, at) VALUES (@platform, @room, @channel, @direct, @at) " +
            "ON CONFLICT (platform, room) DO UPDATE SET channel = excluded.channel, direct = excluded.direct, at = excluded.at",
            new { platform, room = channel.Room, channel = channel.Channel, direct = channel.Direct ? 1 : 0, at = Now }, cancellationToken: ct));
    }

    public async Task<IReadOnlyList<PlatformChannel>> ChannelsAsync(string platform, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<(string Room, string Channel, long Direct)>(new CommandDefinition(
            "SELECT room, channel, direct FROM chat_channels WHERE platform = @platform ORDER BY room", new { platform }, cancellationToken: ct));
        return rows.Select(r => new PlatformChannel(r.Room, r.Channel, r.Direct != 0)).ToList();
    }
}
