namespace Capstan.Incidents;

/// <summary>How the incidents module's background pass runs.</summary>
public sealed class IncidentsOptions
{
    /// <summary>How often escalations, update reminders and the notification queue are checked (webhooks also go out at once).</summary>
    public TimeSpan Tick { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Whether the background pass runs at all (tests that drive it by hand turn it off).</summary>
    public bool Background { get; init; } = true;
}
