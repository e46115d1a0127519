using Capstan.Core.Config;
using Capstan.Core.Ledger;
using Capstan.Core.Ledger.Events;
using Capstan.Core.Policy;

namespace Capstan.Chat.Linking;

/// <summary>The outcome of confirming a link code: what was linked, or the sentence saying why nothing was.</summary>
public sealed record LinkOutcome(LinkRequest? Linked, string Message)
{
    public bool Ok => Linked is not null;
}

/// <summary>
/// Links a chat handle to the signed-in person who confirms its code: the handle is committed to their own entry in
/// capstan.yaml, in their name. Nobody links a handle to anyone but themselves, takes a handle another person has, or
/// links Capstan's own platform.
/// </summary>
public sealed class HandleLinker(LinkCodes codes, ConfigRepo repo, ConfigLoader loader, ConfigReloader reloader, ConfigState config, Ledger ledger)
{
    /// <summary>What a code would link for <paramref name="person"/>, or why it would not (nothing is spent or recorded).</summary>
    public async Task<LinkOutcome> CheckAsync(Person person, string code, CancellationToken ct)
    {
        var (request, problem) = await codes.PeekAsync(code, ct);
        if (request is null) return new(null, problem!);
        return Refusal(person, request) is { } refused ? new(null, refused) : new(request, Describe(person, request));
    }

    /// <summary>Spends the code and commits the handle to <paramref name="person"/>'s entry.</summary>
    public async Task<LinkOutcome> ConfirmAsync(Person person, string code, CancellationToken ct)
    {
        var (request, problem) = await codes.PeekAsync(code, ct);
        if (request is not null && Refusal(person, request) is { } refused) problem = refused;
        else if (request is not null) (request, problem) = await codes.TakeAsync(code, ct);
        if (request is null || problem is not null)
        {
            await ledger.AppendAsync(new HandleLinkRefused(request?.Platform, request?.Handle, problem!), person.Id);
            return new(null, problem!);
        }
        config.Current.Policy.People.TryGetValue(person.Id, out var current);
        var replaced = current?.Handles.GetValueOrDefault(request.Platform);
        string? editProblem = null;
        var commit = await repo.CommitAsync(new ConfigChange($"link {request.Platform} handle {request.Handle} to {person.Id}", ConfigWriter.AuthorOf(person), files =>
        {
            if (!files.TryGetValue(ConfigLoader.MainFile, out var text)) { editProblem = "capstan.yaml is missing from the config repo."; return null; }
            var (edited, why) = HandleEntry.With(text, person.Id, request.Platform, request.Handle);
            if (edited is null) { editProblem = why; return null; }
            var after = new Dictionary<string, string>(files, StringComparer.Ordinal) { [ConfigLoader.MainFile] = edited };
            try { loader.Load("link", DateTimeOffset.UnixEpoch, after); }
            catch (ConfigException ex) { editProblem = "capstan.yaml would not be valid after the change: " + ex.Message; return null; }
            return new Dictionary<string, string?> { [ConfigLoader.MainFile] = edited };
        }), ct);
        if (editProblem is not null)
        {
            var why = $"Nothing was linked: {editProblem} Ask an admin to add `handles: {{ {request.Platform}: {request.Handle} }}` to your entry.";
            await ledger.AppendAsync(new HandleLinkRefused(request.Platform, request.Handle, why), person.Id);
            return new(null, why);
        }
        await reloader.RefreshAsync(ct);
        await ledger.AppendAsync(new HandleLinked(request.Platform, request.Handle, person.Id, commit?.Sha, replaced), person.Id);
        return new(request, $"Linked {request.Handle} on {request.Platform} to {person.Id}" + (commit is null ? "" : $" (commit {commit.ShortSha})") +
            (replaced is not null && replaced != request.Handle ? $", replacing {replaced}" : "") + ". Capstan now knows you there.");
    }

    private string? Refusal(Person person, LinkRequest request)
    {
        if (string.Equals(request.Platform, AccessPolicy.CapstanPlatform, StringComparison.OrdinalIgnoreCase))
            return "Capstan's own chat (web and terminal) already knows you by your sign-in; there is nothing to link.";
        var policy = config.Current.Policy;
        var owner = policy.People.Values.FirstOrDefault(p => p.Handles.TryGetValue(request.Platform, out var h) && string.Equals(h, request.Handle, StringComparison.OrdinalIgnoreCase));
        if (owner is not null && !string.Equals(owner.Id, person.Id, StringComparison.OrdinalIgnoreCase))
            return $"{request.Handle} on {request.Platform} is linked to someone else already; an admin can change it in capstan.yaml.";
        return null;
    }

    private static string Describe(Person person, LinkRequest request) =>
        $"This links {request.Handle} on {request.Platform} to you ({person.Id}): whoever writes as that handle acts as you, with your permissions.";
}
