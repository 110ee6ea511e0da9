using System.Buffers.Binary;

namespace Gregor.Storage;

/// <summary>An offset and the file position of the batch it points at.</summary>
public readonly record struct OffsetPosition(long Offset, int Position);

/// <summary>
/// Kafka's sparse offset index: 8-byte entries of a 4-byte offset relative to the segment's base offset and the
/// 4-byte file position of a batch, in increasing offset order. An entry (o, p) says the batch at p ends at o,
/// so a lookup for the largest entry at or below a target gives a position to scan forward from.
/// </summary>
public sealed class OffsetIndex : IndexFile
{
    public const int Size = 8;

    internal OffsetIndex(string path, long baseOffset, int maxIndexSize, bool writable, ResourceBudget? mappings = null)
        : base(path, baseOffset, maxIndexSize, writable, mappings)
    {
    }

    public override int EntrySize => Size;

    /// <summary>The offset of the last entry, or the base offset when empty.</summary>
    public long LastOffset
    {
        get
        {
            EnterRead();
            try
            {
                int entries = Entries;
                return entries == 0 ? BaseOffset : EntryAt(entries - 1).Offset;
            }
            finally
            {
                ExitRead();
            }
        }
    }

    /// <summary>Whether an offset fits in the 4-byte relative form this index stores.</summary>
    public bool CanAppendOffset(long offset) => offset - BaseOffset is >= 0 and <= int.MaxValue;

    /// <summary>Adds an entry; offsets must increase. Only the segment's writer calls this.</summary>
    internal void Append(long offset, int position)
    {
        EnterAppend();
        try
        {
            int entries = Entries;
            if (entries > 0 && offset <= EntryAt(entries - 1).Offset)
                throw new InvalidOperationException($"Offset index {FilePath}: entry {offset} does not follow {EntryAt(entries - 1).Offset}.");
            if (!CanAppendOffset(offset))
                throw new InvalidOperationException($"Offset {offset} does not fit relative to base {BaseOffset}.");
            Span<byte> entry = stackalloc byte[Size];
            BinaryPrimitives.WriteInt32BigEndian(entry, (int)(offset - BaseOffset));
            BinaryPrimitives.WriteInt32BigEndian(entry[4..], position);
            AppendEntry(entry);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>The largest entry whose offset is at most <paramref name="targetOffset"/>, or (base, 0).</summary>
    public OffsetPosition Lookup(long targetOffset)
    {
        EnterRead();
        try
        {
            int slot = LargestSlotAtMost(targetOffset);
            return slot < 0 ? new OffsetPosition(BaseOffset, 0) : EntryAt(slot);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>
    /// <see cref="Lookup"/> plus what bounds a scan from there: whether the floor is a real entry (rather than the
    /// segment start) and the position of the entry after it, or -1 if there is none. The batch holding
    /// <paramref name="targetOffset"/> starts at or before that position, since the batch there ends past the target.
    /// </summary>
    internal OffsetPosition LookupWithNext(long targetOffset, out bool isEntry, out int nextPosition)
    {
        EnterRead();
        try
        {
            int slot = LargestSlotAtMost(targetOffset);
            int entries = Entries;
            isEntry = slot >= 0;
            nextPosition = slot + 1 < entries ? EntryAt(slot + 1).Position : -1;
            return slot < 0 ? new OffsetPosition(BaseOffset, 0) : EntryAt(slot);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>
    /// The entry with the largest position at or below <paramref name="position"/> (positions grow with offsets), or
    /// (base, 0) when there is none: a batch boundary at or before that position, from which a walk over batch headers
    /// finds the last boundary below it.
    /// </summary>
    internal OffsetPosition FloorByPosition(int position, out bool isEntry)
    {
        EnterRead();
        try
        {
            int entries = Entries;
            int low = -1, high = entries - 1;
            while (low < high)
            {
                int middle = (int)(((long)low + high + 1) / 2);
                if (EntryAt(middle).Position <= position)
                    low = middle;
                else
                    high = middle - 1;
            }
            isEntry = low >= 0;
            return low < 0 ? new OffsetPosition(BaseOffset, 0) : EntryAt(low);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>The entry at a slot, for tests and diagnostics.</summary>
    public OffsetPosition Entry(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Entries);
        EnterRead();
        try
        {
            return EntryAt(slot);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>Removes every entry whose offset is at or above <paramref name="offset"/>.</summary>
    internal void TruncateTo(long offset)
    {
        EnterRead();
        try
        {
            int slot = LargestSlotAtMost(offset);
            int keep = slot < 0 ? 0 : EntryAt(slot).Offset == offset ? slot : slot + 1;
            SetEntries(keep);
        }
        finally
        {
            ExitRead();
        }
    }

    private protected override bool CheckFirstAndLast(ReadOnlySpan<byte> first, ReadOnlySpan<byte> last, int entries, long logSize, out string problem)
    {
        problem = "";
        int firstRelative = ReadInt32(first), firstPosition = ReadInt32(first[4..]);
        int lastRelative = ReadInt32(last), lastPosition = ReadInt32(last[4..]);
        if (firstRelative < 0 || firstPosition < 0 || lastPosition < 0 || lastPosition >= logSize)
        {
            problem = $"entry outside the log (relative {firstRelative}, positions {firstPosition}..{lastPosition}, log size {logSize})";
            return false;
        }
        if (entries > 1 && (lastRelative <= firstRelative || lastPosition <= firstPosition))
        {
            problem = $"entries out of order (first {firstRelative}@{firstPosition}, last {lastRelative}@{lastPosition})";
            return false;
        }
        return true;
    }

    private OffsetPosition EntryAt(int slot)
    {
        ReadOnlySpan<byte> bytes = EntryBytes(slot);
        return new OffsetPosition(BaseOffset + ReadInt32(bytes), ReadInt32(bytes[4..]));
    }

    private int LargestSlotAtMost(long target)
    {
        int entries = Entries;
        if (entries == 0 || EntryAt(0).Offset > target)
            return -1;
        int low = 0, high = entries - 1;
        while (low < high)
        {
            int middle = (int)(((long)low + high + 1) / 2);
            if (EntryAt(middle).Offset <= target)
                low = middle;
            else
                high = middle - 1;
        }
        return low;
    }
}
