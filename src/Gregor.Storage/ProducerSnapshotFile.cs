using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Gregor.Protocol.Records;
using Microsoft.Win32.SafeHandles;

namespace Gregor.Storage;

/// <summary>One producer as a snapshot file holds it: the entry's facts and its last batch (when it has one).</summary>
public readonly record struct ProducerSnapshotEntry(
    long ProducerId,
    short Epoch,
    int LastSequence,
    long LastOffset,
    int OffsetDelta,
    long Timestamp,
    int CoordinatorEpoch,
    long CurrentTxnFirstOffset);

/// <summary>
/// Kafka's producer-state snapshot file, <c>&lt;20-digit offset&gt;.snapshot</c> in the partition directory: the state
/// of every producer after the log up to (not including) that offset. Big-endian: an int16 version (1), a CRC32C of
/// everything after it, an int32 entry count, then per entry the producer id (int64), epoch (int16), last sequence
/// (int32), last offset (int64), offset delta (int32), timestamp (int64), coordinator epoch (int32) and current
/// transaction first offset (int64). Read and written in chunks, so neither costs memory in proportion to the file.
/// <para>
/// Kafka's entry holds a producer's last batch only, so after a restart a retry of an earlier one of its last five
/// (which a producer may still have in flight) would be refused out of order. When any producer has more, Gregor
/// writes them after the entries, covered by the same CRC: an int32 count, then per batch the producer id (int64),
/// last sequence (int32), last offset (int64), offset delta (int32) and max timestamp (int64), oldest first. A file
/// without that section, as Kafka writes it, is read as before.
/// </para>
/// </summary>
public static class ProducerSnapshotFile
{
    public const string Extension = ".snapshot";
    public const short Version = 1;
    public const int HeaderSize = 2 + 4 + 4;
    public const int EntrySize = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;

    /// <summary>One batch of the section after the entries: producer id, last sequence, last offset, offset delta, timestamp.</summary>
    public const int EarlierBatchSize = 8 + 4 + 8 + 4 + 8;

    /// <summary>A file claiming more entries than this is refused before it is read (about 460 MB).</summary>
    public const int MaxEntries = 10_000_000;

    private const int CrcOffset = 2;
    private const int CountOffset = 6;
    private const int ChunkEntries = 1024;

    public static string PathFor(string directory, long offset) => Path.Combine(directory, LogFileNames.OffsetPrefix(offset) + Extension);

    /// <summary>Parses <c>&lt;20 digits&gt;.snapshot</c>.</summary>
    public static bool TryParseName(ReadOnlySpan<char> name, out long offset)
    {
        offset = -1;
        return name.Length == 20 + Extension.Length && name.EndsWith(Extension, StringComparison.Ordinal)
            && long.TryParse(name[..20], NumberStyles.None, CultureInfo.InvariantCulture, out offset);
    }

    /// <summary>The snapshot offsets present in <paramref name="directory"/>, ascending.</summary>
    public static List<long> List(string directory)
    {
        var offsets = new List<long>();
        if (!Directory.Exists(directory))
            return offsets;
        foreach (string path in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            if (TryParseName(Path.GetFileName(path.AsSpan()), out long offset))
                offsets.Add(offset);
        }
        offsets.Sort();
        return offsets;
    }

    /// <summary>Writes the entries to <paramref name="path"/> (replacing it); fsynced when <paramref name="durable"/>.</summary>
    public static void Write(string path, IReadOnlyCollection<ProducerStateEntry> entries, bool durable)
    {
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkEntries * EntrySize);
        try
        {
            using SafeFileHandle file = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.Read | FileShare.Delete);
            Span<byte> header = stackalloc byte[HeaderSize];
            BinaryPrimitives.WriteInt16BigEndian(header, Version);
            BinaryPrimitives.WriteInt32BigEndian(header[CountOffset..], entries.Count);
            uint crc = Crc32C.Append(~0u, header[CountOffset..]);
            long position = HeaderSize;
            int used = 0;
            foreach (ProducerStateEntry entry in entries)
            {
                WriteEntry(chunk.AsSpan(used, EntrySize), entry);
                used += EntrySize;
                if (used == ChunkEntries * EntrySize)
                {
                    crc = Crc32C.Append(crc, chunk.AsSpan(0, used));
                    RandomAccess.Write(file, chunk.AsSpan(0, used), position);
                    position += used;
                    used = 0;
                }
            }
            int earlier = 0;
            foreach (ProducerStateEntry entry in entries)
                earlier += Math.Max(0, entry.BatchCount - 1);
            if (earlier > 0)
            {
                if (used + 4 > chunk.Length)
                    Flush(chunk, ref used, ref position, ref crc, file);
                BinaryPrimitives.WriteInt32BigEndian(chunk.AsSpan(used), earlier);
                used += 4;
                foreach (ProducerStateEntry entry in entries)
                {
                    for (int index = 0; index < entry.BatchCount - 1; index++)
                    {
                        if (used + EarlierBatchSize > chunk.Length)
                            Flush(chunk, ref used, ref position, ref crc, file);
                        WriteEarlierBatch(chunk.AsSpan(used, EarlierBatchSize), entry.ProducerId, entry.Batch(index));
                        used += EarlierBatchSize;
                    }
                }
            }
            if (used > 0)
                Flush(chunk, ref used, ref position, ref crc, file);
            // The CRC goes in last: a write torn anywhere fails the check and the file is ignored.
            BinaryPrimitives.WriteUInt32BigEndian(header[CrcOffset..], ~crc);
            RandomAccess.Write(file, header, 0);
            if (durable)
                RandomAccess.FlushToDisk(file);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static void Flush(byte[] chunk, ref int used, ref long position, ref uint crc, SafeFileHandle file)
    {
        crc = Crc32C.Append(crc, chunk.AsSpan(0, used));
        RandomAccess.Write(file, chunk.AsSpan(0, used), position);
        position += used;
        used = 0;
    }

    private static void WriteEarlierBatch(Span<byte> target, long producerId, ProducerBatchMetadata batch)
    {
        BinaryPrimitives.WriteInt64BigEndian(target, producerId);
        BinaryPrimitives.WriteInt32BigEndian(target[8..], batch.LastSequence);
        BinaryPrimitives.WriteInt64BigEndian(target[12..], batch.LastOffset);
        BinaryPrimitives.WriteInt32BigEndian(target[20..], batch.OffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(target[24..], batch.Timestamp);
    }

    private static void WriteEntry(Span<byte> target, ProducerStateEntry entry)
    {
        BinaryPrimitives.WriteInt64BigEndian(target, entry.ProducerId);
        BinaryPrimitives.WriteInt16BigEndian(target[8..], entry.Epoch);
        BinaryPrimitives.WriteInt32BigEndian(target[10..], entry.LastSequence);
        BinaryPrimitives.WriteInt64BigEndian(target[14..], entry.LastDataOffset);
        BinaryPrimitives.WriteInt32BigEndian(target[22..], entry.LastOffsetDelta);
        BinaryPrimitives.WriteInt64BigEndian(target[26..], entry.LastTimestamp);
        BinaryPrimitives.WriteInt32BigEndian(target[34..], entry.CoordinatorEpoch);
        BinaryPrimitives.WriteInt64BigEndian(target[38..], entry.CurrentTxnFirstOffset);
    }

    private static ProducerSnapshotEntry ReadEntry(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadInt64BigEndian(source),
        BinaryPrimitives.ReadInt16BigEndian(source[8..]),
        BinaryPrimitives.ReadInt32BigEndian(source[10..]),
        BinaryPrimitives.ReadInt64BigEndian(source[14..]),
        BinaryPrimitives.ReadInt32BigEndian(source[22..]),
        BinaryPrimitives.ReadInt64BigEndian(source[26..]),
        BinaryPrimitives.ReadInt32BigEndian(source[34..]),
        BinaryPrimitives.ReadInt64BigEndian(source[38..]));

    /// <summary>
    /// Reads a snapshot, checking the version, that the counts match the file's length (before anything is
    /// allocated for it) and the CRC (in a first pass), then hands each entry to <paramref name="onEntry"/>, then
    /// each earlier batch (oldest first) to <paramref name="onEarlierBatch"/>. False, with the reason, when the file
    /// is not a valid snapshot; nothing was handed over then.
    /// </summary>
    public static bool TryRead(string path, Action<ProducerSnapshotEntry> onEntry, out string? problem,
        Action<long, ProducerBatchMetadata>? onEarlierBatch = null)
    {
        ArgumentNullException.ThrowIfNull(onEntry);
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        long length = RandomAccess.GetLength(file);
        Span<byte> header = stackalloc byte[HeaderSize];
        if (length < HeaderSize || SegmentScanner.ReadFully(file, header, 0) < HeaderSize)
        {
            problem = $"{length} bytes, too few for a snapshot header";
            return false;
        }
        short version = BinaryPrimitives.ReadInt16BigEndian(header);
        uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(header[CrcOffset..]);
        int count = BinaryPrimitives.ReadInt32BigEndian(header[CountOffset..]);
        if (version != Version)
        {
            problem = $"unknown snapshot version {version}";
            return false;
        }
        long entriesEnd = HeaderSize + (long)count * EntrySize;
        if (count < 0 || count > MaxEntries || entriesEnd > length || (entriesEnd < length && entriesEnd + 4 > length))
        {
            problem = $"{count} entries do not fit a file of {length} bytes (or exceed {MaxEntries})";
            return false;
        }
        int earlier = 0;
        if (entriesEnd < length)
        {
            Span<byte> earlierCount = stackalloc byte[4];
            if (SegmentScanner.ReadFully(file, earlierCount, entriesEnd) < 4)
            {
                problem = "the file ended early";
                return false;
            }
            earlier = BinaryPrimitives.ReadInt32BigEndian(earlierCount);
            if (earlier <= 0 || earlier > (long)count * (ProducerStateEntry.RetainedBatches - 1)
                || entriesEnd + 4 + (long)earlier * EarlierBatchSize != length)
            {
                problem = $"{earlier} earlier batches of {count} producers do not fit a file of {length} bytes";
                return false;
            }
        }
        byte[] chunk = ArrayPool<byte>.Shared.Rent(ChunkEntries * EntrySize);
        try
        {
            uint crc = Crc32C.Append(~0u, header[CountOffset..]);
            for (long position = HeaderSize; position < length;)
            {
                int size = (int)Math.Min(chunk.Length / EntrySize * EntrySize, length - position);
                if (SegmentScanner.ReadFully(file, chunk.AsSpan(0, size), position) < size)
                {
                    problem = "the file ended early";
                    return false;
                }
                crc = Crc32C.Append(crc, chunk.AsSpan(0, size));
                position += size;
            }
            if (~crc != storedCrc)
            {
                problem = $"CRC {~crc:x8} does not match the stored {storedCrc:x8}";
                return false;
            }
            for (long position = HeaderSize; position < entriesEnd;)
            {
                int size = (int)Math.Min(chunk.Length / EntrySize * EntrySize, entriesEnd - position);
                if (SegmentScanner.ReadFully(file, chunk.AsSpan(0, size), position) < size)
                {
                    problem = "the file changed while being read";
                    return false;
                }
                for (int at = 0; at < size; at += EntrySize)
                    onEntry(ReadEntry(chunk.AsSpan(at, EntrySize)));
                position += size;
            }
            for (long position = entriesEnd + 4; earlier > 0 && onEarlierBatch is not null && position < length;)
            {
                int size = (int)Math.Min(chunk.Length / EarlierBatchSize * EarlierBatchSize, length - position);
                if (SegmentScanner.ReadFully(file, chunk.AsSpan(0, size), position) < size)
                {
                    problem = "the file changed while being read";
                    return false;
                }
                for (int at = 0; at < size; at += EarlierBatchSize)
                {
                    ReadOnlySpan<byte> batch = chunk.AsSpan(at, EarlierBatchSize);
                    onEarlierBatch(BinaryPrimitives.ReadInt64BigEndian(batch), new ProducerBatchMetadata(
                        BinaryPrimitives.ReadInt32BigEndian(batch[8..]), BinaryPrimitives.ReadInt64BigEndian(batch[12..]),
                        BinaryPrimitives.ReadInt32BigEndian(batch[20..]), BinaryPrimitives.ReadInt64BigEndian(batch[24..])));
                }
                position += size;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        problem = null;
        return true;
    }
}
