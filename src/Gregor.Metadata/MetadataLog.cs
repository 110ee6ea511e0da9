using Gregor.Metadata.Records;
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
/// <para>
/// Snapshots (KIP-630): once the fold has taken in enough committed bytes since the last snapshot, or enough time
/// has passed with something committed (<see cref="MetadataSnapshotPolicy"/>), the folded image is written as a
/// snapshot (<see cref="MetadataSnapshot"/>) through Raft, which trims the log behind it. Replay starts from the
/// newest snapshot and folds only the batches after it.
/// </para>
/// </summary>
public sealed class MetadataLog : IMetadataJournal, IDisposable
{
    public const string DirectoryName = "__cluster_metadata-0";

    /// <summary>An operation's batch may be large (thousands of partitions), but not unbounded.</summary>
    public const int MaxBatchBytes = FileRaftLog.MaxBatchBytes;

    private const int ReplayReadBytes = 1024 * 1024;

    // FileRaftLog's name for a snapshot file: <end offset>-<epoch>.checkpoint.
    private const string SnapshotSuffix = ".checkpoint";

    private readonly FileRaftLog _log;
    private readonly RaftNode _raft;
    private readonly TimeProvider _time;
    private readonly object _appendLock = new();
    private readonly long _started;
    private readonly MetadataSnapshotPolicy _snapshots;
    private long _foldedEnd;

    // The image the fold reached (at _foldedEnd), the epoch and max timestamp of the last batch it took in: what a
    // snapshot is made of.
    private MetadataImage? _folded;
    private int _foldedEpoch;
    private long _foldedTimestamp = -1;
    private long _bytesSinceSnapshot;
    private long _lastSnapshotAt;
    private int _batchesFolded;

    private MetadataLog(FileRaftLog log, RaftNode raft, TimeProvider time, long started, MetadataSnapshotPolicy snapshots)
    {
        _log = log;
        _raft = raft;
        _time = time;
        _started = started;
        _snapshots = snapshots;
    }

    /// <summary>Raft's clock: milliseconds since the log was opened, monotonic whatever the wall clock does.</summary>
    private long RaftNow => (long)_time.GetElapsedTime(_started).TotalMilliseconds;

    public string Directory => _log.Directory;

    public long LogEndOffset => _log.EndOffset;

    /// <summary>The Raft epoch this node leads in (a new one at every start).</summary>
    public int Epoch => _raft.Epoch;

    /// <summary>The first offset the log holds as batches: the end of the newest snapshot, or 0.</summary>
    public long LogStartOffset => _log.StartOffset;

    /// <summary>The newest snapshot on disk, if any.</summary>
    public SnapshotId? LatestSnapshot => _log.LatestSnapshot;

    /// <summary>The snapshot <see cref="Replay"/> started from, or null when it folded the log from its beginning.</summary>
    public SnapshotId? ReplayedSnapshot { get; private set; }

    /// <summary>How many log batches <see cref="Replay"/> folded after its snapshot (control batches included).</summary>
    public int BatchesReplayed { get; private set; }

    /// <summary>Snapshots this log has written since it was opened.</summary>
    public int SnapshotsTaken { get; private set; }

    /// <summary>Why the last snapshot due could not be written (it is tried again after as many bytes or as long again), or null.</summary>
    public Exception? LastSnapshotFailure { get; private set; }

    /// <param name="random">The Raft node's randomness (election timeouts); a seeded one replays a test exactly.</param>
    public static MetadataLog Open(string logDir, int nodeId, Random random, TimeProvider time, MetadataSnapshotPolicy? snapshots = null)
    {
        ArgumentNullException.ThrowIfNull(logDir);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentNullException.ThrowIfNull(time);
        snapshots ??= MetadataSnapshotPolicy.Default;
        string directory = Path.Combine(logDir, DirectoryName);
        var log = FileRaftLog.Open(directory, time);
        try
        {
            long started = time.GetTimestamp();
            long wallClock = time.GetUtcNow().ToUnixTimeMilliseconds();
            var raft = new RaftNode(nodeId, [nodeId], new RaftSettings(), log, new FileQuorumStateStore(directory), random, 0,
                (leader, voters) => LeaderChangeBatch.Build(leader, voters, wallClock));
            raft.Tick(0);
            if (raft.Role != RaftRole.Leader || raft.HighWatermark != log.EndOffset)
                throw new MetadataLogCorruptException($"{directory}: the metadata quorum of one did not come up as leader with everything committed ({raft.Role}, high watermark {raft.HighWatermark}, end {log.EndOffset})");
            return new MetadataLog(log, raft, time, started, snapshots);
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Folds the newest snapshot (if any) onto <paramref name="image"/>, then every committed batch after it, in order.
    /// A snapshot that is damaged or does not fold is a <see cref="MetadataLogCorruptException"/> naming its file.
    /// </summary>
    public MetadataImage Replay(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        _foldedEpoch = 0;
        _foldedTimestamp = -1;
        ReplayedSnapshot = null;
        if (_log.LatestSnapshot is SnapshotId snapshot)
        {
            if (_log.StartOffset != snapshot.EndOffset)
                throw new MetadataLogCorruptException($"{Directory}: the log starts at {_log.StartOffset}, not at the end of its newest snapshot {snapshot}");
            var contents = ReadSnapshot(snapshot, image);
            image = contents.Image;
            _foldedEpoch = snapshot.Epoch;
            _foldedTimestamp = contents.LastContainedLogTimestamp;
            ReplayedSnapshot = snapshot;
        }
        else if (_log.StartOffset != 0)
        {
            throw new MetadataLogCorruptException($"{Directory}: the log starts at {_log.StartOffset} but there is no snapshot of what comes before");
        }
        _foldedEnd = _log.StartOffset;
        _folded = image;
        _bytesSinceSnapshot = 0;
        _lastSnapshotAt = RaftNow;
        int before = _batchesFolded;
        image = CatchUp(image);
        BatchesReplayed = _batchesFolded - before;
        return image;
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
            {
                image = MetadataBatchFold.Apply(image, batch, Directory);
                _foldedEpoch = batch.Epoch;
                _foldedTimestamp = RecordBatchHeader.MaxTimestamp(batch.Payload.Span);
                if (!batch.IsControl) _bytesSinceSnapshot += batch.Payload.Length;
                _batchesFolded++;
            }
            offset = batches[^1].EndOffset;
        }
        _foldedEnd = offset;
        _folded = image;
        MaybeSnapshot();
        return image;
    }

    /// <summary>
    /// Writes a snapshot of the image the fold has reached (every committed batch below <see cref="SnapshotId.EndOffset"/>)
    /// through Raft, which trims the log behind it. Returns its id, or null when the log holds nothing after its start.
    /// </summary>
    public SnapshotId? CreateSnapshot()
    {
        lock (_appendLock)
        {
            MetadataImage image = _folded ?? throw new InvalidOperationException("the log is snapshotted after it is replayed");
            if (_foldedEnd <= _log.StartOffset) return null;
            // Logs from before the metadata quorum have batches without an epoch (-1); a snapshot's epoch is never below 0.
            var id = new SnapshotId(_foldedEnd, Math.Max(_foldedEpoch, 0));
            byte[] bytes = MetadataSnapshot.Write(image, id.Epoch, _foldedTimestamp);
            _raft.CreateSnapshot(id, bytes);
            _bytesSinceSnapshot = 0;
            _lastSnapshotAt = RaftNow;
            SnapshotsTaken++;
            return id;
        }
    }

    /// <summary>
    /// After each fold (so after each append's commit, and at start): a snapshot when the policy says one is due. A
    /// snapshot that cannot be written does not fail the operation that committed before it: the log still holds
    /// everything, and the next attempt comes after as many bytes or as long again.
    /// </summary>
    private void MaybeSnapshot()
    {
        if (!_snapshots.IsDue(_bytesSinceSnapshot, RaftNow - _lastSnapshotAt)) return;
        try
        {
            CreateSnapshot();
            LastSnapshotFailure = null;
        }
        catch (IOException e)
        {
            LastSnapshotFailure = e;
            _bytesSinceSnapshot = 0;
            _lastSnapshotAt = RaftNow;
        }
        catch (UnauthorizedAccessException e)
        {
            LastSnapshotFailure = e;
            _bytesSinceSnapshot = 0;
            _lastSnapshotAt = RaftNow;
        }
    }

    private MetadataSnapshot.Contents ReadSnapshot(SnapshotId id, MetadataImage empty)
    {
        string path = Path.Combine(Directory, id + SnapshotSuffix);
        long size = _log.SnapshotSize(id);
        if (size < 0 || size > int.MaxValue)
            throw new MetadataLogCorruptException($"{path}: the snapshot cannot be read whole ({size} bytes)");
        ReadOnlyMemory<byte> bytes = _log.ReadSnapshot(id, 0, (int)size);
        return MetadataSnapshot.Read(bytes.Span, empty, id.EndOffset, path);
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

    /// <summary>Raised once, when an append or flush failed and the node must stop (see <see cref="MetadataLogFailedException"/>).</summary>
    public event Action<MetadataLogFailedException>? Failed;

    private MetadataLogFailedException? _failure;

    public long Append(IReadOnlyList<IMetadataRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0) throw new ArgumentException("an operation appends at least one record", nameof(records));
        lock (_appendLock)
        {
            if (_failure is { } failed) throw failed;
            byte[] batch = MetadataBatchWriter.Build(records, _time.GetUtcNow().ToUnixTimeMilliseconds(), MaxBatchBytes);
            try
            {
                long lastOffset = _raft.Propose(RaftNow, batch, records.Count)
                    ?? throw new InvalidOperationException($"this node no longer leads the metadata quorum ({_raft.Role})");
                // On one voter the tick flushes the log and so commits the batch; anything less is a failure to persist,
                // and the node must stop rather than publish what the log may not hold.
                _raft.Tick(RaftNow);
                if (_raft.HighWatermark <= lastOffset)
                    throw new InvalidOperationException($"the batch ending at {lastOffset} did not commit (high watermark {_raft.HighWatermark})");
                return lastOffset;
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // An appended batch that was not flushed could still commit with the next one: no further append may happen.
                _failure = new MetadataLogFailedException($"{Directory}: appending to the metadata log failed, the node must stop: {e.Message}", e);
                Failed?.Invoke(_failure);
                throw _failure;
            }
        }
    }

    public void Dispose()
    {
        _log.Dispose();
    }
}
