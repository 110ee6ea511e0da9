using System.Buffers;
using Gregor.Metadata.Records;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using Gregor.Storage;

namespace Gregor.Metadata;

/// <summary>
/// The cluster metadata log, <c>&lt;first log dir&gt;/__cluster_metadata-0</c>: a partition log whose
/// batches each hold one controller operation's records (one record per metadata record). A batch is
/// the unit of atomicity — the storage's recovery drops a torn last batch whole — and every append is
/// flushed to disk before it returns, so an acknowledged operation survives a crash.
/// </summary>
public sealed class MetadataLog : IMetadataJournal, IDisposable
{
    public const string DirectoryName = "__cluster_metadata-0";

    /// <summary>An operation's batch may be large (thousands of partitions), but not unbounded.</summary>
    public const int MaxBatchBytes = 8 * 1024 * 1024;

    private const int ReplayReadBytes = 1024 * 1024;

    // The metadata log is never trimmed by retention: it is the only copy of the cluster's state.
    private static readonly LogConfig Config = LogConfig.Default with
    {
        RetentionMs = -1,
        RetentionBytes = -1,
        MaxMessageBytes = MaxBatchBytes,
        SegmentIndexBytes = 1024 * 1024,
    };

    private readonly PartitionLog _log;
    private readonly TimeProvider _time;
    private readonly RecordBatchBuilder _builder = new(4096);
    private readonly object _appendLock = new();

    private MetadataLog(PartitionLog log, TimeProvider time)
    {
        _log = log;
        _time = time;
    }

    public string Directory => _log.Directory;

    public long LogEndOffset => _log.LogEndOffset;

    public static MetadataLog Open(string logDir, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(logDir);
        time ??= TimeProvider.System;
        string directory = Path.Combine(logDir, DirectoryName);
        System.IO.Directory.CreateDirectory(directory);
        return new MetadataLog(PartitionLog.Open(directory, Config, time), time);
    }

    /// <summary>Folds every record of the log into <paramref name="image"/>, in order.</summary>
    public MetadataImage Replay(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        long offset = _log.LogStartOffset;
        long end = _log.LogEndOffset;
        while (offset < end)
        {
            using LogReadResult read = _log.Read(offset, ReplayReadBytes);
            if (read.BatchCount == 0)
                throw new MetadataLogCorruptException($"{Directory}: nothing readable at offset {offset} below the end {end}");
            image = ApplyBatches(image, read.Records.Span);
            offset = read.NextOffset;
        }
        return image;
    }

    private MetadataImage ApplyBatches(MetadataImage image, ReadOnlySpan<byte> batches)
    {
        var batchEnumerator = new RecordBatchEnumerator(batches, MaxBatchBytes);
        while (batchEnumerator.MoveNext())
        {
            ReadOnlySpan<byte> batch = batchEnumerator.Current;
            var opened = RecordBatchReader.TryOpen(batch, out RecordBatchReader reader);
            if (!opened.IsValid)
                throw new MetadataLogCorruptException($"{Directory}: batch at offset {new RecordBatch(batch).BaseOffset} cannot be read: {opened}");
            using (reader)
            {
                foreach (Record record in reader)
                {
                    if (record.Value.IsNull)
                        throw new MetadataLogCorruptException($"{Directory}: record at offset {record.Offset} has no value");
                    try
                    {
                        image = image.Apply(MetadataRecordCodec.Decode(record.Value.ToArray()!), record.Offset);
                    }
                    catch (MalformedMessageException e)
                    {
                        throw new MetadataLogCorruptException($"{Directory}: record at offset {record.Offset}: {e.Message}", e);
                    }
                }
                if (!reader.Error.IsValid)
                    throw new MetadataLogCorruptException($"{Directory}: records of the batch at offset {new RecordBatch(batch).BaseOffset} are malformed: {reader.Error}");
            }
        }
        if (!batchEnumerator.Error.IsValid)
            throw new MetadataLogCorruptException($"{Directory}: malformed batch framing: {batchEnumerator.Error}");
        return image;
    }

    public long Append(IReadOnlyList<IMetadataRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) throw new ArgumentException("an operation appends at least one record", nameof(records));
        lock (_appendLock)
        {
            _builder.Reset();
            long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
            byte[] scratch = ArrayPool<byte>.Shared.Rent(256);
            try
            {
                foreach (var record in records)
                {
                    int size = MetadataRecordCodec.Size(record);
                    if (scratch.Length < size)
                    {
                        ArrayPool<byte>.Shared.Return(scratch);
                        scratch = ArrayPool<byte>.Shared.Rent(size);
                    }
                    MetadataRecordCodec.Write(record, scratch.AsSpan(0, size));
                    _builder.Append(now, NullableBytes.Null, scratch.AsSpan(0, size));
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
            ReadOnlyMemory<byte> built = _builder.Build();
            if (built.Length > MaxBatchBytes)
                throw new MetadataOperationTooLargeException($"the operation's {records.Count} records take {built.Length} bytes, more than {MaxBatchBytes}");
            byte[] batch = built.ToArray();
            LogAppendResult result = _log.Append(batch);
            _log.Flush();
            _log.UpdateHighWatermark(result.LogEndOffset);
            return result.LastOffset;
        }
    }

    public void Dispose()
    {
        _builder.Dispose();
        _log.Dispose();
    }
}
