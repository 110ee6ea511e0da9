using System.Buffers;
using Gregor.Metadata.Records;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using Gregor.Raft;

namespace Gregor.Metadata;

/// <summary>
/// The cluster metadata log, <c>&lt;first log dir&gt;/__cluster_metadata-0</c>, kept by Raft: on one node a quorum
/// of one voter (this node) over the log on disk (<see cref="FileRaftLog"/>) and its <c>quorum-state</c> file. Each
/// controller operation's records are one batch (one record per metadata record), the unit of atomicity: the
/// storage's recovery drops a torn last batch whole. An append returns only once Raft has committed it, which on
/// one node means flushed to disk, so an acknowledged operation survives a crash. Replay at start and live
/// publication fold the same committed batches through <see cref="MetadataBatchFold"/>.
/// Each start is a new Raft epoch, whose leader-change control batch the fold skips.
/// </summary>
public sealed class MetadataLog : IMetadataJournal, IDisposable
{
    public const string DirectoryName = "__cluster_metadata-0";

    /// <summary>An operation's batch may be large (thousands of partitions), but not unbounded.</summary>
    public const int MaxBatchBytes = FileRaftLog.MaxBatchBytes;

    private const int ReplayReadBytes = 1024 * 1024;

    private readonly FileRaftLog _log;
    private readonly RaftNode _raft;
    private readonly TimeProvider _time;
    private readonly RecordBatchBuilder _builder = new(4096);
    private readonly object _appendLock = new();
    private readonly long _started;
    private long _foldedEnd;

    private MetadataLog(FileRaftLog log, RaftNode raft, TimeProvider time, long started)
    {
        _log = log;
        _raft = raft;
        _time = time;
        _started = started;
    }

    /// <summary>Raft's clock: milliseconds since the log was opened, monotonic whatever the wall clock does.</summary>
    private long RaftNow => (long)_time.GetElapsedTime(_started).TotalMilliseconds;

    public string Directory => _log.Directory;

    public long LogEndOffset => _log.EndOffset;

    /// <summary>The Raft epoch this node leads in (a new one at every start).</summary>
    public int Epoch => _raft.Epoch;

    public static MetadataLog Open(string logDir, int nodeId, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(logDir);
        time ??= TimeProvider.System;
        string directory = Path.Combine(logDir, DirectoryName);
        var log = FileRaftLog.Open(directory, time);
        try
        {
            long started = time.GetTimestamp();
            long wallClock = time.GetUtcNow().ToUnixTimeMilliseconds();
            var raft = new RaftNode(nodeId, [nodeId], new RaftSettings(), log, new FileQuorumStateStore(directory), new Random(), 0,
                (leader, voters) => LeaderChangeBatch.Build(leader, voters, wallClock));
            raft.Tick(0);
            if (raft.Role != RaftRole.Leader || raft.HighWatermark != log.EndOffset)
                throw new MetadataLogCorruptException($"{directory}: the metadata quorum of one did not come up as leader with everything committed ({raft.Role}, high watermark {raft.HighWatermark}, end {log.EndOffset})");
            return new MetadataLog(log, raft, time, started);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>Folds every committed record of the log into <paramref name="image"/>, in order.</summary>
    public MetadataImage Replay(MetadataImage image)
    {
        _foldedEnd = _log.StartOffset;
        return CatchUp(image);
    }

    public MetadataImage CatchUp(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        long offset = _foldedEnd;
        while (offset < _raft.HighWatermark)
        {
            var batches = _raft.ReadCommitted(offset, ReplayReadBytes);
            if (batches.Count == 0)
                throw new MetadataLogCorruptException($"{Directory}: nothing readable at offset {offset} below the high watermark {_raft.HighWatermark}");
            foreach (var batch in batches)
                image = MetadataBatchFold.Apply(image, batch, Directory);
            offset = batches[^1].EndOffset;
        }
        _foldedEnd = offset;
        return image;
    }

    /// <summary>The metadata quorum as this node sees it (DescribeQuorum), or null when it does not lead it.</summary>
    public QuorumDescription? DescribeQuorum()
    {
        lock (_appendLock) return _raft.Describe();
    }

    /// <summary>
    /// A time on Raft's clock (as <see cref="DescribeQuorum"/> reports them) as Unix epoch milliseconds, by how long
    /// ago it was on Raft's clock and the wall clock now; −1 (unknown) stays −1.
    /// </summary>
    public long RaftTimeToUnixMs(long raftTimeMs) =>
        raftTimeMs < 0 ? -1 : _time.GetUtcNow().ToUnixTimeMilliseconds() - Math.Max(0, RaftNow - raftTimeMs);

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
            long lastOffset = _raft.Propose(RaftNow, built.ToArray(), records.Count)
                ?? throw new MetadataLogCorruptException($"{Directory}: this node no longer leads the metadata quorum ({_raft.Role})");
            // On one voter the tick flushes the log and so commits the batch; anything less is a failure to persist,
            // and the node must stop rather than publish what the log may not hold.
            _raft.Tick(RaftNow);
            if (_raft.HighWatermark <= lastOffset)
                throw new MetadataLogCorruptException($"{Directory}: the batch ending at {lastOffset} did not commit (high watermark {_raft.HighWatermark})");
            return lastOffset;
        }
    }

    public void Dispose()
    {
        _builder.Dispose();
        _log.Dispose();
    }
}
