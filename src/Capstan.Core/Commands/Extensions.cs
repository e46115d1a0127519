namespace Capstan.Core.Commands;

/// <summary>A module that answers <c>history SUBJECT</c> for its own subjects (for example an app's deploys).</summary>
public interface IHistorySource
{
    /// <summary>Whether this source knows the subject word (an app name, an incident id …).</summary>
    bool Knows(string subject, CommandContext context);

    Task<CommandResult> HistoryAsync(string subject, string? place, int count, CommandContext context);

    /// <summary>What kind of subjects this source knows, for error messages ("apps: api, web").</summary>
    string Describe(CommandContext context);
}

/// <summary>Something that <c>cancel ID</c> can stop: a job, an approval request …</summary>
public interface ICancellationSource
{
    /// <summary>Cancels the item with this id if this source owns it; null when it does not.</summary>
    Task<CommandResult?> TryCancelAsync(string id, CommandContext context);
}
