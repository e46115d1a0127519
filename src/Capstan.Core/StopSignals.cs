using System.Runtime.InteropServices;

namespace Capstan.Core;

/// <summary>SIGINT and SIGTERM cancel a token source (a graceful stop) instead of ending the process at once.</summary>
public static class StopSignals
{
    /// <summary>Until the result is disposed, either signal cancels <paramref name="stop"/>.</summary>
    public static IDisposable Cancel(CancellationTokenSource stop)
    {
        // A handler runs on a pool thread and can come after the work has finished and `stop` is disposed (another
        // handler, System.CommandLine's, hears the same signal and may end the work first): a late Cancel is a no-op.
        void Stop(PosixSignalContext c)
        {
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
