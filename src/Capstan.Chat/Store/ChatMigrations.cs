using Capstan.Core.Storage;

namespace Capstan.Chat.Store;

/// <summary>The chat module's tables (ids 300–399).</summary>
public static class ChatMigrations
{
    private static readonly IReadOnlyList<Migration> SqliteList =
    [
        new(300, "chat platforms", """
            CREATE TABLE chat_deliveries (
              platform TEXT NOT NULL, delivery_id TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (platform, delivery_id));
            CREATE INDEX chat_deliveries_at ON chat_deliveries(at);
            CREATE TABLE chat_messages (
              platform TEXT NOT NULL, capstan_id TEXT NOT NULL, channel TEXT NOT NULL, ref TEXT NOT NULL, at TEXT NOT NULL,
              PRIMARY KEY (platform, capstan_id));
            CREATE INDEX chat_messages_ref ON chat_messages(platform, ref);
            CREATE TABLE chat_cursors (
              platform TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (platform, key));
            CREATE TABLE chat_channels (
              platform TEXT NOT NULL, room TEXT NOT NULL, channel TEXT NOT NULL, direct INTEGER NOT NULL, at TEXT NOT NULL,
              PRIMARY KEY (platform, room));
            """),
    ];

    /// <summary>The chat module's migrations in every dialect it has.</summary>
    public static readonly ModuleMigrations All = new("Chat", new Dictionary<string, IReadOnlyList<Migration>> { ["sqlite"] = SqliteList });
}
