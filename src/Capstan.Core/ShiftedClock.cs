using System.Globalization;

namespace Capstan.Core;

/// <summary>
/// The system clock, shifted so that it read a chosen instant when the process started; it then runs at the normal
/// pace. Set with <c>CAPSTAN_CLOCK</c> (an ISO 8601 instant) so that a test, or a rehearsal of a schedule, runs the
/// real executable on a date it chooses: on-call rotations, quiet hours, escalations and "last 30 days" then read it.
/// </summary>
public sealed class ShiftedClock(DateTimeOffset start) : TimeProvider
{
    /// <summary>The environment variable that sets the clock of a Capstan process.</summary>
    public const string Variable = "CAPSTAN_CLOCK";

    private readonly TimeSpan _shift = start - System.GetUtcNow();

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + _shift;

    /// <summary>The clock a Capstan process runs on: <see cref="TimeProvider.System"/>, or shifted as <c>CAPSTAN_CLOCK</c> says.</summary>
    public static TimeProvider FromEnvironment()
    {
        var text = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(text)) return System;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var start))
            throw new ArgumentException($"{Variable}='{text}' is not a date and time: write an ISO 8601 instant such as 2026-06-01T09:00:00Z, or unset it to use the system clock.");
        return new ShiftedClock(start);
    }
}
