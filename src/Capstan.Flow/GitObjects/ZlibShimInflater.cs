using System.IO.Compression;
using System.Runtime.InteropServices;

namespace Capstan.Flow.GitObjects;

/// <summary>
/// zlib's inflate on one reusable stream, through the shim functions .NET's System.IO.Compression calls (zlib-ng inside
/// System.IO.Compression.Native; Native AOT links it into the executable). Resetting one stream costs far less than a
/// new <see cref="ZLibStream"/> per object, and zlib-ng is about a quarter faster than the system's zlib on small
/// commits. The shim is private to the runtime, so <see cref="Usable"/> checks it before the first use and the
/// stream struct carries guard room: a changed layout makes Capstan fall back to <see cref="ZLibStreamInflater"/>
/// instead of writing over memory.
/// </summary>
internal sealed unsafe partial class ZlibShimInflater : Inflater
{
    private const string Library = "libSystem.IO.Compression.Native";
    private const int Ok = 0, StreamEnd = 1, BufferError = -5, Finish = 4, NoFlush = 0, WindowBits = 15;

    /// <summary>The runtime whose shim this layout was read from (.NET 10's PAL_ZStream); any other major falls back.</summary>
    public const int RuntimeMajor = 10;

    // Bytes after the struct that the shim must never touch: a grown native struct writes here, not over the heap,
    // and the start-up check sees it.
    private const int GuardBytes = 256;
    private const byte GuardValue = 0xA5;

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

    private ZlibShimInflater(Stream* stream) => this.stream = stream;

    /// <summary>A shim stream, or null when the shim cannot be loaded or refuses to start one.</summary>
    public static ZlibShimInflater? TryCreate()
    {
        var memory = (byte*)NativeMemory.AllocZeroed((nuint)(sizeof(Stream) + GuardBytes));
        new Span<byte>(memory + sizeof(Stream), GuardBytes).Fill(GuardValue);
        try
        {
            if (InflateInit((Stream*)memory, WindowBits) == Ok) return new ZlibShimInflater((Stream*)memory);
        }
        catch (DllNotFoundException) { }
        catch (EntryPointNotFoundException) { }
        NativeMemory.Free(memory);
        return null;
    }

    /// <summary>
    /// The start-up check: the runtime is the one this layout was read from, the exports are there, and a round trip
    /// of data compressed by the public <see cref="ZLibStream"/> comes back exactly, with the counters moving as this
    /// layout says and the guard room untouched.
    /// </summary>
    public static bool Usable(Version runtime)
    {
        if (runtime.Major != RuntimeMajor) return false;
        using var shim = TryCreate();
        if (shim is null) return false;
        foreach (var sample in Samples())
        {
            var compressed = Compress(sample);
            var output = new byte[sample.Length + Slack];
            fixed (byte* source = compressed)
            {
                if (!shim.TryInflate(source, compressed.Length, output, sample.Length)) return false;
                if (shim.stream->AvailIn != 0 || shim.stream->NextIn != source + compressed.Length) return false;
            }
            if (!output.AsSpan(0, sample.Length).SequenceEqual(sample) || !shim.GuardIntact()) return false;
            if (shim.TryInflateAll(compressed) is not { } whole || !whole.AsSpan().SequenceEqual(sample) || !shim.GuardIntact()) return false;
        }
        return true;
    }

    private bool GuardIntact() => !new ReadOnlySpan<byte>((byte*)stream + sizeof(Stream), GuardBytes).ContainsAnyExcept(GuardValue);

    // A commit-sized object and one larger than zlib's window, as the packs hold.
    private static IEnumerable<byte[]> Samples()
    {
        yield return "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@example.com> 1600000000 +0000\ncommitter A <a@example.com> 1600000000 +0000\n\nfeat: check\n"u8.ToArray();
        var large = new byte[70_000];
        for (var i = 0; i < large.Length; i++) large[i] = (byte)(i * 7 % 251);
        yield return large;
    }

    private static byte[] Compress(byte[] data)
    {
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(data);
        return output.ToArray();
    }

    public override bool TryInflate(byte* source, long available, Span<byte> destination, int expected)
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

    public override byte[]? TryInflateAll(ReadOnlySpan<byte> source)
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

    protected override void Dispose(bool disposing)
    {
        if (stream is null) return;
        InflateEnd(stream);
        NativeMemory.Free(stream);
        stream = null;
    }
}
