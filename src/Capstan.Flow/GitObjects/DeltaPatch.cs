namespace Capstan.Flow.GitObjects;

/// <summary>
/// git's pack delta format: the base's size and the result's size (little-endian 7-bit groups), then instructions that
/// either copy a range of the base (high bit set; which offset and size bytes follow is in the low 7 bits) or insert the
/// next 1–127 bytes of the delta itself.
/// </summary>
internal static class DeltaPatch
{
    public static bool TryApply(ReadOnlySpan<byte> source, ReadOnlySpan<byte> delta, ref byte[] result, out int length)
    {
        length = 0;
        var at = 0;
        if (!TryVarint(delta, ref at, out var sourceSize) || sourceSize != source.Length) return false;
        if (!TryVarint(delta, ref at, out var resultSize) || resultSize > Array.MaxLength) return false;
        if (result.Length < resultSize) result = new byte[Math.Max(resultSize, 256)];
        var output = result.AsSpan(0, (int)resultSize);
        var written = 0;
        while (at < delta.Length)
        {
            var op = delta[at++];
            if ((op & 0x80) != 0)
            {
                long offset = 0, size = 0;
                for (var i = 0; i < 4; i++)
                    if ((op & (1 << i)) != 0)
                    {
                        if (at >= delta.Length) return false;
                        offset |= (long)delta[at++] << (8 * i);
                    }
                for (var i = 0; i < 3; i++)
                    if ((op & (0x10 << i)) != 0)
                    {
                        if (at >= delta.Length) return false;
                        size |= (long)delta[at++] << (8 * i);
                    }
                if (size == 0) size = 0x10000;
                if (offset + size > source.Length || written + size > output.Length) return false;
                source.Slice((int)offset, (int)size).CopyTo(output[written..]);
                written += (int)size;
            }
            else if (op != 0)
            {
                if (at + op > delta.Length || written + op > output.Length) return false;
                delta.Slice(at, op).CopyTo(output[written..]);
                at += op;
                written += op;
            }
            else return false; // reserved
        }
        length = written;
        return written == output.Length;
    }

    private static bool TryVarint(ReadOnlySpan<byte> data, ref int at, out long value)
    {
        value = 0;
        var shift = 0;
        while (true)
        {
            if (at >= data.Length || shift > 56) return false;
            var c = data[at++];
            value |= (long)(c & 0x7f) << shift;
            shift += 7;
            if ((c & 0x80) == 0) return true;
        }
    }
}
