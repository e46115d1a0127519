using System.Diagnostics;
using System.Globalization;

namespace Capstan.Testing;

/// <summary>
/// The date every Capstan process a test starts lives on, whatever the machine's date: the run begins at
/// <see cref="Start"/> (a Wednesday 10:00 UTC in a week the demo rotation gives to alice, outside bob's quiet hours)
/// and moves at the normal pace. Each process gets the test clock's reading when it starts (<c>CAPSTAN_CLOCK</c>),
/// so the server and the CLI verbs agree on the time to within their start-up.
/// </summary>
public static class TestClock
{
    public static readonly DateTimeOffset Start = new(2026, 12, 2, 10, 0, 0, TimeSpan.Zero);
    private static readonly Stopwatch Elapsed = Stopwatch.StartNew();

    public static DateTimeOffset Now => Start + Elapsed.Elapsed;

    /// <summary>Sets the clock of a process about to start.</summary>
    public static void Apply(ProcessStartInfo psi) => psi.Environment["CAPSTAN_CLOCK"] = Now.ToString("O", CultureInfo.InvariantCulture);
}
