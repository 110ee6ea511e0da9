using System.Runtime.CompilerServices;

namespace Gregor.Protocol.Primitives;

/// <summary>
/// Unsigned LEB128 varints and their zig-zag signed forms, as Kafka uses them in flexible
/// messages (unsigned) and inside record batches (zig-zag). Span-based so the record batch
/// code and the message codecs share one implementation.
/// </summary>
public static class Varint
{
    public const int MaxBytes32 = 5;
    public const int MaxBytes64 = 10;

    /// <summary>Reads an unsigned 32-bit varint; returns bytes consumed, 0 if truncated, -1 if longer than 5 bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int TryReadUnsigned32(ReadOnlySpan<byte> source, out uint value)
    {
        uint result = 0;
        for (int i = 0; i < MaxBytes32; i++)
        {
            if (i >= source.Length) { value = 0; return 0; }
            byte b = source[i];
            if (i == MaxBytes32 - 1 && b > 0x0F) { value = 0; return -1; }
            result |= (uint)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) { value = result; return i + 1; }
        }
        value = 0;
        return -1;
    }

    /// <summary>Reads an unsigned 64-bit varint; returns bytes consumed, 0 if truncated, -1 if longer than 10 bytes.</summary>
    public static int TryReadUnsigned64(ReadOnlySpan<byte> source, out ulong value)
    {
        ulong result = 0;
        for (int i = 0; i < MaxBytes64; i++)
        {
            if (i >= source.Length) { value = 0; return 0; }
            byte b = source[i];
            if (i == MaxBytes64 - 1 && b > 0x01) { value = 0; return -1; }
            result |= (ulong)(b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0) { value = result; return i + 1; }
        }
        value = 0;
        return -1;
    }

    public static int TryReadZigZag32(ReadOnlySpan<byte> source, out int value)
    {
        int n = TryReadUnsigned32(source, out uint raw);
        value = DecodeZigZag(raw);
        return n;
    }

    public static int TryReadZigZag64(ReadOnlySpan<byte> source, out long value)
    {
        int n = TryReadUnsigned64(source, out ulong raw);
        value = DecodeZigZag(raw);
        return n;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int WriteUnsigned32(Span<byte> destination, uint value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    public static int WriteUnsigned64(Span<byte> destination, ulong value)
    {
        int i = 0;
        while (value >= 0x80)
        {
            destination[i++] = (byte)(value | 0x80);
            value >>= 7;
        }
        destination[i++] = (byte)value;
        return i;
    }

    public static int WriteZigZag32(Span<byte> destination, int value) => WriteUnsigned32(destination, EncodeZigZag(value));

    public static int WriteZigZag64(Span<byte> destination, long value) => WriteUnsigned64(destination, EncodeZigZag(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int SizeOfUnsigned32(uint value) => value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x20_0000 ? 3 : value < 0x1000_0000 ? 4 : 5;

    public static int SizeOfUnsigned64(ulong value)
    {
        int n = 1;
        while (value >= 0x80) { value >>= 7; n++; }
        return n;
    }

    public static int SizeOfZigZag32(int value) => SizeOfUnsigned32(EncodeZigZag(value));

    public static int SizeOfZigZag64(long value) => SizeOfUnsigned64(EncodeZigZag(value));

    public static uint EncodeZigZag(int value) => (uint)((value << 1) ^ (value >> 31));

    public static ulong EncodeZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    public static int DecodeZigZag(uint value) => (int)(value >> 1) ^ -(int)(value & 1);

    public static long DecodeZigZag(ulong value) => (long)(value >> 1) ^ -(long)(value & 1);
}
