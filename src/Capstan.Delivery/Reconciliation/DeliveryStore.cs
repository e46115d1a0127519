using System.Globalization;
using Capstan.Core.Storage;
using Capstan.Delivery.Apps;
using Dapper;

namespace Capstan.Delivery.Reconciliation;

/// <summary>One apply of a version to an environment and how it ended (healthy, failed, removed).</summary>
public sealed record DeploymentRecord(long Id, string App, string Environment, string Version, string Commit, string By, DateTimeOffset At, string Outcome, string Detail, string? Request)
{
    public const string Healthy = "healthy";
    public const string Failed = "failed";
    public const string Removed = "removed";
}

/// <summary>A change to a protected environment waiting for a second person.</summary>
public sealed record ApprovalRequest(
    string Id, string Action, string App, string Environment, string Version, string Requester, string Room, string Thread,
    string RequestId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt, string State, string? DecidedBy, string? Reason, string Message)
{
    public const string Pending = "pending";
    public Slot Slot => new(App, Environment);
}

/// <summary>Where a request's progress is shown: the thread and the message edited in place.</summary>
public sealed record RequestThread(string RequestId, string Room, string Thread, string MessageId, string Headline, DateTimeOffset At);

/// <summary>
/// The delivery module's own tables in the node's database: deployments (history and last deploy),
/// approval requests, and the threads that follow requests (so progress continues after a restart).
/// Written in the SQL every dialect shares; what differs comes from <see cref="IDatabase.Sql"/>.
/// </summary>
public sealed class DeliveryStore(IDatabase db) : IDeliveryStore
{
    /// <summary>Creates or upgrades the tables (a command can arrive before the reconciler has started).</summary>
    public Task EnsureAsync(CancellationToken ct) => db.MigrateAsync(Migrations.DeliveryMigrations.All, ct);

    private async Task<System.Data.Common.DbConnection> OpenAsync(CancellationToken ct)
    {
        await EnsureAsync(ct);
        return await db.OpenConnectionAsync(ct);
    }

    public async Task<DeploymentRecord> AddDeploymentAsync(DeploymentRecord r, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var id = await c.ExecuteScalarAsync<long>("""
            INSERT INTO delivery_deployments (app, env, version, commit_sha, by, at, outcome, detail, request)
            VALUES (@App, @Environment, @Version, @Commit, @By, @At, @Outcome, @Detail, @Request) RETURNING id
            """, new { r.App, r.Environment, r.Version, r.Commit, r.By, At = r.At.ToString("O"), r.Outcome, r.Detail, r.Request });
        return r with { Id = id };
    }

    /// <summary>Newest first; all environments when <paramref name="environment"/> is null.</summary>
    public async Task<IReadOnlyList<DeploymentRecord>> DeploymentsAsync(string? app, string? environment, int limit, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<DeploymentRow>("""
            SELECT id, app, env, version, commit_sha AS commitSha, by, at, outcome, detail, request FROM delivery_deployments
            WHERE (@app IS NULL OR app = @app) AND (@env IS NULL OR env = @env) ORDER BY id DESC LIMIT @limit
            """, new { app, env = environment, limit });
        return rows.Select(r => r.ToRecord()).ToList();
    }

    /// <summary>The newest healthy deployment of every slot.</summary>
    public async Task<IReadOnlyList<DeploymentRecord>> LastHealthyAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var rows = await c.QueryAsync<DeploymentRow>("""
            SELECT id, app, env, version, commit_sha AS commitSha, by, at, outcome, detail, request FROM delivery_deployments
            WHERE id IN (SELECT MAX(id) FROM delivery_deployments WHERE outcome = 'healthy' GROUP BY app, env)
            """);
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task AddApprovalAsync(ApprovalRequest a, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("""
            INSERT INTO delivery_approvals VALUES (@Id, @Action, @App, @Environment, @Version, @Requester, @Room, @Thread, @RequestId,
              @CreatedAt, @ExpiresAt, @State, @DecidedBy, @Reason, @Message)
            """, new
        {
            a.Id,
            a.Action,
            a.App,
            a.Environment,
            a.Version,
            a.Requester,
            a.Room,
            a.Thread,
            a.RequestId,
            CreatedAt = a.CreatedAt.ToString("O"),
            ExpiresAt = a.ExpiresAt.ToString("O"),
            a.State,
            a.DecidedBy,
            a.Reason,
            a.Message
        });
    }

    public async Task<ApprovalRequest?> ApprovalAsync(string id, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<ApprovalRow>(ApprovalSelect + " WHERE " + db.Sql.EqualsIgnoringCase("id", "@id"), new { id });
        return row?.ToRequest();
    }

    public async Task<IReadOnlyList<ApprovalRequest>> PendingApprovalsAsync(CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return (await c.QueryAsync<ApprovalRow>(ApprovalSelect + " WHERE state = 'pending' ORDER BY created_at")).Select(r => r.ToRequest()).ToList();
    }

    /// <summary>Moves a request out of pending; false when someone else decided it first.</summary>
    public async Task<bool> DecideAsync(string id, string state, string? by, string? reason, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        return await c.ExecuteAsync("UPDATE delivery_approvals SET state = @state, decided_by = @by, reason = @reason WHERE id = @id AND state = 'pending'",
            new { id, state, by, reason }) == 1;
    }

    public async Task SaveThreadAsync(RequestThread t, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        await c.ExecuteAsync("""
            INSERT INTO delivery_threads (request_id, room, thread, message_id, headline, at) VALUES (@RequestId, @Room, @Thread, @MessageId, @Headline, @At)
            ON CONFLICT (request_id) DO UPDATE SET room = excluded.room, thread = excluded.thread, message_id = excluded.message_id, headline = excluded.headline, at = excluded.at
            """,
            new { t.RequestId, t.Room, t.Thread, t.MessageId, t.Headline, At = t.At.ToString("O") });
    }

    public async Task<RequestThread?> ThreadAsync(string requestId, CancellationToken ct)
    {
        await using var c = await OpenAsync(ct);
        var row = await c.QuerySingleOrDefaultAsync<(string request_id, string room, string thread, string message_id, string headline, string at)?>(
            "SELECT request_id, room, thread, message_id, headline, at FROM delivery_threads WHERE request_id = @requestId", new { requestId });
        return row is { } r ? new RequestThread(r.request_id, r.room, r.thread, r.message_id, r.headline, Parse(r.at)) : null;
    }

    private const string ApprovalSelect = """
        SELECT id, action, app, env, version, requester, room, thread, request_id AS requestId, created_at AS createdAt, expires_at AS expiresAt,
          state, decided_by AS decidedBy, reason, message FROM delivery_approvals
        """;

    private static DateTimeOffset Parse(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private sealed record DeploymentRow(long Id, string App, string Env, string Version, string CommitSha, string By, string At, string Outcome, string Detail, string? Request)
    {
        public DeploymentRecord ToRecord() => new(Id, App, Env, Version, CommitSha, By, Parse(At), Outcome, Detail, Request);
    }

    private sealed record ApprovalRow(string Id, string Action, string App, string Env, string Version, string Requester, string Room, string Thread, string RequestId,
        string CreatedAt, string ExpiresAt, string State, string? DecidedBy, string? Reason, string Message)
    {
        public ApprovalRequest ToRequest() => new(Id, Action, App, Env, Version, Requester, Room, Thread, RequestId, Parse(CreatedAt), Parse(ExpiresAt), State, DecidedBy, Reason, Message);
    }
}
