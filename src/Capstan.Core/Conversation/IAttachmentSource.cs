namespace Capstan.Core.Conversation;

/// <summary>
/// Produces the bytes behind an attachment link (a chart PNG), so platform adapters that take file uploads can
/// upload them instead of posting the link. Modules that attach files register one each.
/// </summary>
public interface IAttachmentSource
{
    /// <summary>The file for a link this source owns, or null when the link is not its own.</summary>
    Task<byte[]?> OpenAsync(string link, CancellationToken ct);
}
