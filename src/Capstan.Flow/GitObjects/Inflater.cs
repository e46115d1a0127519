using System.Runtime.InteropServices;

namespace Capstan.Flow.GitObjects;

/// <summary>
/// zlib's inflate on one reusable stream. Git stores every object zlib-compressed, and at 100,000 commits inflating
/// them is most of a cold version calculation: resetting one stream costs far less than a new <c>ZLibStream</c> per
/// object. The stream is zlib-ng inside .NET's own System.IO.Compression.Native, called through the same shim
/// functions .NET calls (Native AOT links the library into the executable; it is about a quarter faster than the
/// system's zlib on small commits here). <see cref="TryCreate"/> gives null if the shim cannot be loaded, and the
/// history is then read through git.
/// </summary>
internal sealed unsafe partial class Inflater : IDisposable
{
    private const string Library = "libSystem.IO.Compression.Native";
    private const int Ok = 0, StreamEnd = 1, BufferError = -5, Finish = 4, NoFlush = 0, WindowBits = 15;

    /// <summary>
    /// Room to leave after the expected size. zlib decodes with its fast loop only while at least 258 bytes of output
    /// space remain; a buffer of exactly an object's size sends a small commit through the slow loop from its first byte.
    /// </summary>
    public const int Slack = 512;

    // .NET's PAL_ZStream: the fields its shim copies to and from zlib's own stream.
    [StructLayout(LayoutKind.Sequential)]
    private struct Stream
    {
        public byte* NextIn;
        public byte* NextOut;
        public byte* Message;
        public void* State;
        public uint AvailIn;
        public uint AvailOut;
    }

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateInit2_")]
    private static partial int InflateInit(Stream* stream, int windowBits);

    [LibraryImport(Library, EntryPoint = "CompressionNative_Inflate")]
    private static partial int Inflate(Stream* stream, int flush);

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateReset2_")]
    private static partial int InflateReset(Stream* stream, int windowBits);

    [LibraryImport(Library, EntryPoint = "CompressionNative_InflateEnd")]
    private static partial int InflateEnd(Stream* stream);

    // The shim keeps zlib's own stream behind State; this one lives in native memory all the same, never moved.
    private Stream* stream;

    private Inflater(Stream* stream) => this.stream = stream;

    public static Inflater? TryCreate()
    {
        var stream = (Stream*)NativeMemory.AllocZeroed((nuint)sizeof(Stream));
        try
        {
            if (InflateInit(stream, WindowBits) == Ok) return new Inflater(stream);
        }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
        NativeMemory.Free(stream);
        return null;
    }

    /// <summary>
    /// Inflates one zlib stream that starts at <paramref name="source"/> into <paramref name="destination"/>, which must
    /// hold <paramref name="expected"/> + <see cref="Slack"/> bytes; true when it inflated to exactly
    /// <paramref name="expected"/> bytes (more or fewer means a corrupt object).
    /// </summary>
    public bool TryInflate(byte* source, long available, Span<byte> destination, int expected)
    {
        if (destination.Length < expected + Slack) throw new ArgumentException("The buffer leaves no slack.", nameof(destination));
        InflateReset(stream, WindowBits);
        fixed (byte* output = destination)
        {
            stream->NextIn = source;
            stream->AvailIn = (uint)Math.Min(available, uint.MaxValue);
            stream->NextOut = output;
            stream->AvailOut = (uint)destination.Length;
            return Inflate(stream, Finish) == StreamEnd && destination.Length - stream->AvailOut == expected;
        }
    }

    /// <summary>Inflates a whole zlib stream of unknown size (a loose object file).</summary>
    public byte[]? TryInflateAll(ReadOnlySpan<byte> source)
    {
        InflateReset(stream, WindowBits);
        var output = new byte[Math.Max(256, source.Length * 3)];
        var written = 0;
        fixed (byte* input = source)
        {
            stream->NextIn = input;
            stream->AvailIn = (uint)source.Length;
            while (true)
            {
                if (written == output.Length) Array.Resize(ref output, output.Length * 2);
                int result;
                fixed (byte* o = output)
                {
                    stream->NextOut = o + written;
                    stream->AvailOut = (uint)(output.Length - written);
                    result = Inflate(stream, NoFlush);
                    written = output.Length - (int)stream->AvailOut;
                }
                if (result == StreamEnd)
                {
                    Array.Resize(ref output, written);
                    return output;
                }
                if (result != Ok && result != BufferError) return null;
                if (stream->AvailOut > 0 && stream->AvailIn == 0) return null; // the file ends before the stream does
            }
        }
    }

    public void Dispose()
    {
        if (stream is null) return;
        InflateEnd(stream);
        NativeMemory.Free(stream);
        stream = null;
    }
}
