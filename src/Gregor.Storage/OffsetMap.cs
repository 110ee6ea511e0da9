using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Gregor.Storage;

/// <summary>
/// The cleaner's map from key to the latest offset seen for it, in a fixed block of memory allocated once:
/// open addressing over slots of a 16-byte MD5 of the key (as Kafka's cleaner does) and an 8-byte offset.
/// Keys are compared by digest only; a collision of 128-bit digests is not a practical concern. It stops
/// accepting new keys at 90% load, which bounds the dirty range one cleaning pass can cover.
/// </summary>
internal sealed class OffsetMap
{
    private const int DigestBytes = 16;
    private const int SlotBytes = DigestBytes + 8;
    private const double MaxLoad = 0.9;

    private readonly byte[] _slots;
    private readonly int _slotCount;
    private readonly int _maxEntries;

    public OffsetMap(int memoryBytes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(memoryBytes, SlotBytes * 4);
        _slotCount = memoryBytes / SlotBytes;
        _slots = new byte[(long)_slotCount * SlotBytes];
        _maxEntries = (int)(_slotCount * MaxLoad);
    }

    public int Count { get; private set; }

    public int Capacity => _maxEntries;

    public bool IsFull => Count >= _maxEntries;

    /// <summary>The largest offset <see cref="Put"/> was given, or -1.</summary>
    public long LatestOffset { get; private set; } = -1;

    public void Clear()
    {
        Array.Clear(_slots);
        Count = 0;
        LatestOffset = -1;
    }

    /// <summary>Records <paramref name="offset"/> as the latest for <paramref name="key"/>; false if the key is new and the map is full.</summary>
    public bool Put(ReadOnlySpan<byte> key, long offset)
    {
        Span<byte> digest = stackalloc byte[DigestBytes];
        MD5.HashData(key, digest);
        int slot = FindSlot(digest);
        Span<byte> entry = _slots.AsSpan(slot * SlotBytes, SlotBytes);
        bool isNew = BinaryPrimitives.ReadInt64LittleEndian(entry[DigestBytes..]) == 0;
        if (isNew)
        {
            if (IsFull)
                return false;
            digest.CopyTo(entry);
            Count++;
        }
        // Stored plus one so that an all-zero slot means empty.
        BinaryPrimitives.WriteInt64LittleEndian(entry[DigestBytes..], offset + 1);
        LatestOffset = Math.Max(LatestOffset, offset);
        return true;
    }

    /// <summary>The latest offset recorded for <paramref name="key"/>, or -1.</summary>
    public long Get(ReadOnlySpan<byte> key)
    {
        Span<byte> digest = stackalloc byte[DigestBytes];
        MD5.HashData(key, digest);
        ReadOnlySpan<byte> entry = _slots.AsSpan(FindSlot(digest) * SlotBytes, SlotBytes);
        return BinaryPrimitives.ReadInt64LittleEndian(entry[DigestBytes..]) - 1;
    }

    /// <summary>The slot holding the digest, or the empty slot where it would go (linear probing).</summary>
    private int FindSlot(ReadOnlySpan<byte> digest)
    {
        int slot = (int)(BinaryPrimitives.ReadUInt32LittleEndian(digest) % (uint)_slotCount);
        while (true)
        {
            ReadOnlySpan<byte> entry = _slots.AsSpan(slot * SlotBytes, SlotBytes);
            if (BinaryPrimitives.ReadInt64LittleEndian(entry[DigestBytes..]) == 0 || entry[..DigestBytes].SequenceEqual(digest))
                return slot;
            slot = slot + 1 == _slotCount ? 0 : slot + 1;
        }
    }
}
