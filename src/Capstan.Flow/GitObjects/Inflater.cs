using System.Runtime.InteropServices;

namespace Capstan.Flow.GitObjects;

/// <summary>
/// zlib's inflate on one reusable stream. Git stores every object zlib-compressed, and at 100,000 commits inflating
/// them is most of a cold version calculation: resetting one stream costs far less than a new <c>ZLibStream</c> per
/// object. It uses zlib-ng through .NET's own compression library when it can (about a quarter faster than zlib on
/// small commits here; Native AOT links it into the executable), else the system's libz, which git itself uses.
/// <see cref="TryCreate"/> gives null where neither can be loaded.
/// </summary>
internal abstract unsafe partial class Inflater : IDisposable
{
    private const int Ok = 0, StreamEnd = 1, BufferError = -5, Finish = 4, NoFlush = 0;

    /// <summary>
    /// Room to leave after the expected size. zlib decodes with its fast loop only while at least 258 bytes of output
    /// space remain; a buffer of exactly an object's size sends a small commit through the slow loop from its first byte.
    /// </summary>
    public const int Slack = 512;

    public static Inflater? TryCreate()
    {
        if (!OperatingSystem.IsLinux() || IntPtr.Size != 8) return null;
        return DotnetZlib.TryOpen() ?? SystemZlib.TryOpen();
    }

    protected abstract void Reset();
    protected abstract int Inflate(byte* input, uint inputLength, byte* output, uint outputLength, int flush, out uint inputLeft, out uint outputLeft);

    /// <summary>
    /// Inflates one zlib stream that starts at <paramref name="source"/> into <paramref name="destination"/>, which must
    /// hold <paramref name="expected"/> + <see cref="Slack"/> bytes; true when it inflated to exactly
    /// <paramref name="expected"/> bytes (more or fewer means a corrupt object).
    /// </summary>
    public bool TryInflate(byte* source, long available, Span<byte> destination, int expected)
    {
        if (destination.Length < expected + Slack) throw new ArgumentException("The buffer leaves no slack.", nameof(destination));
        Reset();
        fixed (byte* output = destination)
            return Inflate(source, (uint)Math.Min(available, uint.MaxValue), output, (uint)destination.Length, Finish, out _, out var left) == StreamEnd
                && destination.Length - left == expected;
    }

    /// <summary>Inflates a whole zlib stream of unknown size (a loose object file).</summary>
    public byte[]? TryInflateAll(ReadOnlySpan<byte> source)
    {
        Reset();
        var output = new byte[Math.Max(256, source.Length * 3)];
        var written = 0;
        fixed (byte* input = source)
        {
            var next = input;
            var remaining = (uint)source.Length;
            while (true)
            {
                if (written == output.Length) Array.Resize(ref output, output.Length * 2);
                int result;
                uint inputLeft, outputLeft;
                fixed (byte* o = output)
                    result = Inflate(next, remaining, o + written, (uint)(output.Length - written), NoFlush, out inputLeft, out outputLeft);
                next += remaining - inputLeft;
                remaining = inputLeft;
                written = output.Length - (int)outputLeft;
                if (result == StreamEnd)
                {
                    Array.Resize(ref output, written);
                    return output;
                }
                if (result != Ok && result != BufferError) return null;
                if (outputLeft > 0 && remaining == 0) return null; // the file ends before the stream does
            }
        }
    }

    public abstract void Dispose();

    /// <summary>zlib-ng inside .NET's System.IO.Compression.Native, through the shim functions .NET itself calls.</summary>
    private sealed partial class DotnetZlib : Inflater
    {
        private const string Library = "libSystem.IO.Compression.Native";

        // .NET's PAL_ZStream: the fields the shim copies to and from zlib's own stream.
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
        private static partial int InflateNative(Stream* stream, int flush);

        [LibraryImport(Library, EntryPoint = "CompressionNative_InflateReset2_")]
        private static partial int InflateReset(Stream* stream, int windowBits);

        [LibraryImport(Library, EntryPoint = "CompressionNative_InflateEnd")]
        private static partial int InflateEnd(Stream* stream);

        private Stream* stream;

        private DotnetZlib(Stream* stream) => this.stream = stream;

        public static Inflater? TryOpen()
        {
            var stream = (Stream*)NativeMemory.AllocZeroed((nuint)sizeof(Stream));
            try
            {
                if (InflateInit(stream, 15) == Ok) return new DotnetZlib(stream);
            }
            catch (DllNotFoundException) { }
            catch (EntryPointNotFoundException) { }
            NativeMemory.Free(stream);
            return null;
        }

        protected override void Reset() => InflateReset(stream, 15);

        protected override int Inflate(byte* input, uint inputLength, byte* output, uint outputLength, int flush, out uint inputLeft, out uint outputLeft)
        {
            stream->NextIn = input;
            stream->AvailIn = inputLength;
            stream->NextOut = output;
            stream->AvailOut = outputLength;
            var result = InflateNative(stream, flush);
            inputLeft = stream->AvailIn;
            outputLeft = stream->AvailOut;
            return result;
        }

        public override void Dispose()
        {
            if (stream is null) return;
            InflateEnd(stream);
            NativeMemory.Free(stream);
            stream = null;
        }
    }

    /// <summary>The system's libz.so.1.</summary>
    private sealed partial class SystemZlib : Inflater
    {
        private const string Library = "libz.so.1";

        // z_stream on LP64 platforms: uLong is 64 bits, as on Linux.
        [StructLayout(LayoutKind.Sequential)]
        private struct ZStream
        {
            public byte* NextIn;
            public uint AvailIn;
            public nuint TotalIn;
            public byte* NextOut;
            public uint AvailOut;
            public nuint TotalOut;
            public byte* Message;
            public void* State;
            public void* Allocate;
            public void* Free;
            public void* Opaque;
            public int DataType;
            public nuint Adler;
            public nuint Reserved;
        }

        [LibraryImport(Library, EntryPoint = "inflateInit_")]
        private static partial int InflateInit(ZStream* stream, byte* version, int streamSize);

        [LibraryImport(Library, EntryPoint = "inflate")]
        private static partial int InflateNative(ZStream* stream, int flush);

        [LibraryImport(Library, EntryPoint = "inflateReset")]
        private static partial int InflateReset(ZStream* stream);

        [LibraryImport(Library, EntryPoint = "inflateEnd")]
        private static partial int InflateEnd(ZStream* stream);

        // zlib keeps a pointer back to its stream, so the stream lives in native memory that never moves.
        private ZStream* stream;

        private SystemZlib(ZStream* stream) => this.stream = stream;

        public static Inflater? TryOpen()
        {
            var stream = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
            try
            {
                // zlib only checks that the major version matches.
                fixed (byte* version = "1.2.11\0"u8)
                    if (InflateInit(stream, version, sizeof(ZStream)) == Ok) return new SystemZlib(stream);
            }
            catch (DllNotFoundException) { }
            catch (EntryPointNotFoundException) { }
            NativeMemory.Free(stream);
            return null;
        }

        protected override void Reset() => InflateReset(stream);

        protected override int Inflate(byte* input, uint inputLength, byte* output, uint outputLength, int flush, out uint inputLeft, out uint outputLeft)
        {
            stream->NextIn = input;
            stream->AvailIn = inputLength;
            stream->NextOut = output;
            stream->AvailOut = outputLength;
            var result = InflateNative(stream, flush);
            inputLeft = stream->AvailIn;
            outputLeft = stream->AvailOut;
            return result;
        }

        public override void Dispose()
        {
            if (stream is null) return;
            InflateEnd(stream);
            NativeMemory.Free(stream);
            stream = null;
        }
    }
}
