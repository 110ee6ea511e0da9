using System.Buffers.Binary;

namespace Gregor.Storage;

/// <summary>A timestamp and the offset the time index associates with it.</summary>
public readonly record struct TimestampOffset(long Timestamp, long Offset)
{
    public const long NoTimestamp = -1;
}

/// <summary>
/// Kafka's sparse time index: 12-byte entries of an 8-byte timestamp and the 4-byte relative offset of the
/// batch where that timestamp became the segment's largest. Timestamps strictly increase, so an entry (t, o)
/// says every record before o has a timestamp of at most t.
/// </summary>
public sealed class TimeIndex : IndexFile
{
    public const int Size = 12;

    internal TimeIndex(string path, long baseOffset, int maxIndexSize, bool writable, ResourceBudget? mappings = null)
        : base(path, baseOffset, maxIndexSize, writable, mappings)
    {
    }

    public override int EntrySize => Size;

    /// <summary>One slot always stays free for the entry written when the segment becomes inactive.</summary>
    public override bool IsFull => Entries >= MaxEntries - 1;

    /// <summary>The last entry, or (-1, base offset) when empty.</summary>
    public TimestampOffset LastEntry
    {
        get
        {
            EnterRead();
            try
            {
                int entries = Entries;
                return entries == 0 ? new TimestampOffset(TimestampOffset.NoTimestamp, BaseOffset) : EntryAt(entries - 1);
            }
            finally
            {
                ExitRead();
            }
        }
    }

    /// <summary>
    /// Appends (timestamp, offset) if the timestamp is larger than the last entry's. <paramref name="skipFullCheck"/>
    /// lets the final entry of a segment use the reserved slot.
    /// </summary>
    internal void MaybeAppend(long timestamp, long offset, bool skipFullCheck = false)
    {
        if (timestamp < 0)
            return;
        // Decide before mapping for an append (only the writer adds entries, so the answer holds): most calls
        // append nothing, and an index that is not mapped should not be mapped and preallocated for nothing.
        int entries = Entries;
        if (entries > 0)
        {
            TimestampOffset last = LastEntry;
            if (timestamp <= last.Timestamp)
                return;
            if (offset < last.Offset)
                throw new InvalidOperationException($"Time index {FilePath}: offset {offset} is below the last entry's {last.Offset}.");
        }
        if (!skipFullCheck && IsFull)
            throw new InvalidOperationException($"Time index {FilePath} is full.");
        if (entries >= MaxEntries)
            return;
        if (offset - BaseOffset is < 0 or > int.MaxValue)
            throw new InvalidOperationException($"Offset {offset} does not fit relative to base {BaseOffset}.");
        Span<byte> entry = stackalloc byte[Size];
        BinaryPrimitives.WriteInt64BigEndian(entry, timestamp);
        BinaryPrimitives.WriteInt32BigEndian(entry[8..], (int)(offset - BaseOffset));
        // The closing entry goes in with a plain write if nothing mapped the index meanwhile.
        if (skipFullCheck && TryAppendEntryUnmapped(entry))
            return;
        EnterAppend();
        try
        {
            AppendEntry(entry);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>The largest entry whose timestamp is at most <paramref name="targetTimestamp"/>, or (-1, base offset).</summary>
    public TimestampOffset Lookup(long targetTimestamp)
    {
        EnterRead();
        try
        {
            int entries = Entries;
            if (entries == 0 || EntryAt(0).Timestamp > targetTimestamp)
                return new TimestampOffset(TimestampOffset.NoTimestamp, BaseOffset);
            int low = 0, high = entries - 1;
            while (low < high)
            {
                int middle = (int)(((long)low + high + 1) / 2);
                if (EntryAt(middle).Timestamp <= targetTimestamp)
                    low = middle;
                else
                    high = middle - 1;
            }
            return EntryAt(low);
        }
        finally
        {
            ExitRead();
        }
    }

    public TimestampOffset Entry(int slot)
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
            int keep = Entries;
            while (keep > 0 && EntryAt(keep - 1).Offset >= offset)
                keep--;
            SetEntries(keep);
        }
        finally
        {
            ExitRead();
        }
    }

    /// <summary>The time index's part of <see cref="IndexFile.SanityCheck"/>; it does not point into the log, so the log's size is not used.</summary>
    private protected override bool CheckFirstAndLast(ReadOnlySpan<byte> first, ReadOnlySpan<byte> last, int entries, long logSize, out string problem)
    {
        problem = "";
        long firstTimestamp = ReadInt64(first), lastTimestamp = ReadInt64(last);
        int firstRelative = ReadInt32(first[8..]), lastRelative = ReadInt32(last[8..]);
        if (firstRelative < 0 || lastRelative < firstRelative || firstTimestamp < 0)
        {
            problem = $"offsets out of order or negative (first {firstRelative}, last {lastRelative})";
            return false;
        }
        if (entries > 1 && lastTimestamp <= firstTimestamp)
        {
            problem = $"timestamps out of order (first {firstTimestamp}, last {lastTimestamp})";
            return false;
        }
        return true;
    }

    private TimestampOffset EntryAt(int slot)
    {
        ReadOnlySpan<byte> bytes = EntryBytes(slot);
        return new TimestampOffset(ReadInt64(bytes), BaseOffset + ReadInt32(bytes[8..]));
    }
}
