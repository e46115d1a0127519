namespace Capstan.Flow.GitObjects;

/// <summary>
/// zlib's inflate for git's objects, one per thread. Git stores every object zlib-compressed, and at 100,000 commits
/// inflating them is most of a cold version calculation. The fast way is .NET's own compression shim on one reusable
/// stream (<see cref="ZlibShimInflater"/>); it is private to the runtime, so it is used only after a start-up check says
/// it still behaves as the code expects (<see cref="ZlibShimInflater.Usable"/>), and otherwise every object goes through
/// the public <see cref="System.IO.Compression.ZLibStream"/> (<see cref="ZLibStreamInflater"/>): slower, never unsafe.
/// </summary>
internal abstract unsafe class Inflater : IDisposable
{
    /// <summary>
    /// Room to leave after the expected size. zlib decodes with its fast loop only while at least 258 bytes of output
    /// space remain; a buffer of exactly an object's size sends a small commit through the slow loop from its first byte.
    /// </summary>
    public const int Slack = 512;

    /// <summary>Set to <c>stream</c> to skip the runtime's shim (to measure the public path, or to rule the shim out).</summary>
    public const string ChoiceVariable = "CAPSTAN_INFLATER";

    private static readonly Lazy<bool> ShimUsable = new(() =>
        !string.Equals(Environment.GetEnvironmentVariable(ChoiceVariable), "stream", StringComparison.OrdinalIgnoreCase)
        && ZlibShimInflater.Usable(Environment.Version));

    /// <summary>True when this process inflates through the runtime's shim (it passed the start-up check).</summary>
    public static bool UsesShim => ShimUsable.Value;

    /// <summary>An inflater for one thread: the shim's when it passed its check, the public stream's otherwise.</summary>
    public static Inflater Create() => (UsesShim ? ZlibShimInflater.TryCreate() : null) ?? (Inflater)new ZLibStreamInflater();

    /// <summary>
    /// Inflates one zlib stream that starts at <paramref name="source"/> into <paramref name="destination"/>, which must
    /// hold <paramref name="expected"/> + <see cref="Slack"/> bytes; true when it inflated to exactly
    /// <paramref name="expected"/> bytes (more or fewer means a corrupt object).
    /// </summary>
    public abstract bool TryInflate(byte* source, long available, Span<byte> destination, int expected);

    /// <summary>Inflates a whole zlib stream of unknown size (a loose object file), or null when it is corrupt or cut short.</summary>
    public abstract byte[]? TryInflateAll(ReadOnlySpan<byte> source);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }
}
