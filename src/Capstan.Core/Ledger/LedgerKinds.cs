namespace Capstan.Core.Ledger;

/// <summary>The kinds of ledger entries Capstan's core writes; modules add their own strings.</summary>
public static class LedgerKinds
{
    public const string Message = "chat.message";
    public const string Reply = "chat.reply";
    public const string Edit = "chat.edit";
    public const string Command = "command";
    public const string MessageRefused = "chat.refused";
    public const string Decision = "policy.decision";
    public const string Confirmation = "command.confirmation";
    public const string SignIn = "access.signin";
    public const string TokenUse = "access.token.use";
    public const string TokenCreated = "access.token.created";
    public const string TokenRevoked = "access.token.revoked";
    public const string ConfigApplied = "config.applied";
    public const string ConfigRejected = "config.rejected";
    public const string ServerStarted = "server.started";
    public const string ServerStopping = "server.stopping";
}
