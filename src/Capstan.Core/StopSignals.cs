using System.Runtime.InteropServices;

namespace Capstan.Core;

/// <summary>SIGINT and SIGTERM cancel a token source (a graceful stop) instead of ending the process at once; a second signal ends it.</summary>
public static class StopSignals
{
    /// <summary>Until the result is disposed, either signal cancels <paramref name="stop"/>.</summary>
    public static IDisposable Cancel(CancellationTokenSource stop)
    {
        // A handler runs on a pool thread and can come after the work has finished and `stop` is disposed (another
        // handler, System.CommandLine's, hears the same signal and may end the work first): a late Cancel is a no-op.
        // The first signal asks for a graceful stop; a second one, while that is under way (or when the work cannot
        // stop early, such as an uncached `capstan version`), ends the process as the signal normally would.
        var heard = 0;
        void Stop(PosixSignalContext c)
        {
            if (Interlocked.Increment(ref heard) > 1) return;
            c.Cancel = true;
            try { stop.Cancel(); }
            catch (ObjectDisposedException) { }
        }
        return new Registrations(PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop), PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop));
    }

    private sealed class Registrations(params IDisposable[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var r in registrations) r.Dispose();
        }
    }
}
