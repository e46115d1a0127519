namespace Capstan.Chat.Irc;

/// <summary>
/// A token bucket for lines sent to an IRC server: <c>burst</c> lines at once, then one every 1/<c>perSecond</c> seconds,
/// so the server never cuts Capstan off for flooding. Lines over the rate wait their turn; none is dropped.
/// </summary>
public sealed class FloodGate(int burst, double perSecond, TimeProvider clock)
{
    private readonly Lock _gate = new();
    private double _tokens = burst;
    private DateTimeOffset _at = clock.GetUtcNow();

    /// <summary>Takes one line's turn and says how long to wait before sending it (zero within the burst).</summary>
    public TimeSpan Reserve()
    {
        lock (_gate)
        {
            var now = clock.GetUtcNow();
            _tokens = Math.Min(burst, _tokens + (now - _at).TotalSeconds * perSecond);
            _at = now;
            var wait = _tokens >= 1 ? TimeSpan.Zero : TimeSpan.FromSeconds((1 - _tokens) / perSecond);
            _tokens -= 1;
            return wait;
        }
    }
}
