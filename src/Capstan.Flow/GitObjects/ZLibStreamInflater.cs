using System.Buffers.Binary;
using System.IO.Compression;

namespace Capstan.Flow.GitObjects;

/// <summary>
/// Inflates through the public <see cref="ZLibStream"/>, a new stream per object (it cannot be reset). The safe path
/// when the runtime's shim does not pass <see cref="ZlibShimInflater.Usable"/>; docs/architecture.md has the cost.
/// </summary>
internal sealed unsafe class ZLibStreamInflater : Inflater
{
    public override bool TryInflate(byte* source, long available, Span<byte> destination, int expected)
    {
        if (destination.Length < expected + Slack) throw new ArgumentException("The buffer leaves no slack.", nameof(destination));
        // zlib never grows data by more than a few bytes per 16 KB block (compressBound); a tighter window spares
        // ZLibStream from copying its whole read buffer out of the pack for a 200-byte commit.
        var window = Math.Min(available, expected + (expected >> 8) + 64L);
        using var input = new UnmanagedMemoryStream(source, window);
        try
        {
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            // Reading one byte more than promised tells a longer stream from an exact one.
            return zlib.ReadAtLeast(destination[..(expected + 1)], expected + 1, throwOnEndOfStream: false) == expected;
        }
        catch (InvalidDataException)
        {
            return false; // corrupt: the caller reads the history through git
        }
    }

    public override byte[]? TryInflateAll(ReadOnlySpan<byte> source)
    {
        fixed (byte* input = source)
        {
            using var compressed = new UnmanagedMemoryStream(input, source.Length);
            using var output = new MemoryStream(Math.Max(256, source.Length * 3));
            try
            {
                using (var zlib = new ZLibStream(compressed, CompressionMode.Decompress)) zlib.CopyTo(output);
            }
            catch (InvalidDataException)
            {
                return null;
            }
            // ZLibStream ends quietly where a cut-short file ends; a whole stream ends with the Adler-32 of what it inflates to.
            var inflated = output.ToArray();
            return source.Length >= 4 && BinaryPrimitives.ReadUInt32BigEndian(source[^4..]) == Adler32(inflated) ? inflated : null;
        }
    }

    private static uint Adler32(ReadOnlySpan<byte> data)
    {
        const uint Modulus = 65521;
        uint a = 1, b = 0;
        while (data.Length > 0)
        {
            // 5552 bytes is the most that can be summed before the sums could overflow 32 bits (zlib's NMAX).
            var block = data[..Math.Min(data.Length, 5552)];
            foreach (var x in block)
            {
                a += x;
                b += a;
            }
            a %= Modulus;
            b %= Modulus;
            data = data[block.Length..];
        }
        return (b << 16) | a;
    }
}
