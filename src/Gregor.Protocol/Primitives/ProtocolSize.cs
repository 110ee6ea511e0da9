using System.Text;

namespace Gregor.Protocol.Primitives;

/// <summary>Encoded sizes of the variable-length primitives, matching <see cref="ProtocolWriter"/>.</summary>
public static class ProtocolSize
{
    public static int UnsignedVarint(uint value) => Varint.SizeOfUnsigned32(value);

    public static int String(string? value, bool compact)
    {
        if (value is null) return compact ? 1 : 2;
        int length = Encoding.UTF8.GetByteCount(value);
        return (compact ? Varint.SizeOfUnsigned32((uint)length + 1) : 2) + length;
    }

    public static int Bytes(int length, bool isNull, bool compact)
    {
        if (isNull) return compact ? 1 : 4;
        return (compact ? Varint.SizeOfUnsigned32((uint)length + 1) : 4) + length;
    }

    public static int ArrayLength(int count, bool isNull, bool compact)
    {
        if (isNull) return compact ? 1 : 4;
        return compact ? Varint.SizeOfUnsigned32((uint)count + 1) : 4;
    }
}
