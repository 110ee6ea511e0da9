using Gregor.Metadata.Records;
using Gregor.Net;
using Gregor.Raft;

namespace Gregor.Metadata;

/// <summary>
/// The metadata log of a quorum of several voters: this node's <see cref="FileRaftLog"/> and quorum-state, a
/// <see cref="RaftNode"/> run by a <see cref="RaftDriver"/> that talks to the other voters over KRaft's RPCs. An
/// append is proposed to the quorum and returns once committed (only the leader accepts one); every node folds
/// the committed batches through the same <see cref="MetadataBatchFold"/>, whether it leads or follows.
/// </summary>
public sealed class ReplicatedMetadataLog : IMetadataJournal, IRaftEndpoint, IAsyncDisposable
{
    /// <summary>How long an append waits for the quorum to commit before it is reported as failed.</summary>
    public static readonly TimeSpan CommitTimeout = TimeSpan.FromSeconds(30);

    private const int ReadBytes = 1024 * 1024;

    private readonly FileRaftLog _log;
    private readonly KafkaRaftTransport _transport;
    private readonly RaftDriver _driver;
    private readonly TimeProvider _time;
    private readonly object _foldLock = new();
    private long _foldedEnd;
    private MetadataImage? _folded;
    private MetadataImage? _empty;
    private MetadataSnapshotPolicy _snapshots = MetadataSnapshotPolicy.Default;
    private long _bytesSinceSnapshot;
    private long _lastSnapshotAt;
    private int _foldedEpoch;
    private long _foldedTimestamp = -1;

    /// <summary>Snapshots this member wrote, and how many times it loaded one (at start, or fetched from the leader).</summary>
    public int SnapshotsTaken { get; private set; }

    public int SnapshotsLoaded { get; private set; }

    private ReplicatedMetadataLog(FileRaftLog log, KafkaRaftTransport transport, RaftDriver driver, TimeProvider time, string clusterId)
    {
        _log = log;
        _transport = transport;
        _driver = driver;
        _time = time;
        ClusterId = clusterId;
        _foldedEnd = log.StartOffset;
    }

    public string ClusterId { get; }

    public string Directory => _log.Directory;

    public RaftDriver Driver => _driver;

    /// <summary>Opens the log and starts this node's member of the quorum.</summary>
    public static ReplicatedMetadataLog Open(string logDir, int nodeId, IReadOnlyDictionary<int, BrokerEndpoint> voters, string clusterId,
        RaftSettings settings, TimeProvider time, Random random, Action<string>? log = null, MetadataSnapshotPolicy? snapshots = null)
    {
        ArgumentNullException.ThrowIfNull(voters);
        string directory = Path.Combine(logDir, MetadataLog.DirectoryName);
        var raftLog = FileRaftLog.Open(directory, time);
        try
        {
            long origin = time.GetTimestamp();
            long wallClock = time.GetUtcNow().ToUnixTimeMilliseconds();
            var node = new RaftNode(nodeId, voters.Keys, settings, raftLog, new FileQuorumStateStore(directory), random, 0,
                (leader, voterIds) => LeaderChangeBatch.Build(leader, voterIds, wallClock));
            var transport = new KafkaRaftTransport(clusterId, voters,
                new ConnectionSettings { ClientId = $"raft-{nodeId}", SoftwareName = "gregor-raft", Clock = time }, settings);
            var driver = new RaftDriver(node, transport, time, origin, log);
            var opened = new ReplicatedMetadataLog(raftLog, transport, driver, time, clusterId) { _snapshots = snapshots ?? MetadataSnapshotPolicy.Default };
            driver.Start();
            return opened;
        }
        catch
        {
            raftLog.Dispose();
            throw;
        }
    }

    public Task<RaftMessage> HandleAsync(int source, RaftMessage request, CancellationToken cancellationToken) =>
        _driver.HandleAsync(source, request, cancellationToken);

    public Task<QuorumDescription?> DescribeAsync() => _driver.ReadAsync(node => node.Describe());

    /// <summary>A time on the Raft clock (milliseconds since the driver started; −1 unknown) as Unix epoch milliseconds.</summary>
    public long RaftTimeToUnixMs(long raftTimeMs) =>
        raftTimeMs < 0 ? -1 : _time.GetUtcNow().ToUnixTimeMilliseconds() - Math.Max(0, _driver.NowMs - raftTimeMs);

    /// <summary>Whether this node leads and its epoch's first entry has committed (its controller may act).</summary>
    public Task<bool> IsLeaderReadyAsync() => _driver.ReadAsync(node => node.IsLeaderReady);

    /// <summary>Whether this member has caught up with a leader since it started (see <see cref="RaftNode.HasCaughtUpWithLeader"/>).</summary>
    public Task<bool> HasCaughtUpWithLeaderAsync() => _driver.ReadAsync(node => node.HasCaughtUpWithLeader);

    public long Append(IReadOnlyList<IMetadataRecord> records)
    {
        byte[] batch = MetadataBatchWriter.Build(records, _time.GetUtcNow().ToUnixTimeMilliseconds(), FileRaftLog.MaxBatchBytes);
        try
        {
            return _driver.ProposeAsync(batch, records.Count, CancellationToken.None).WaitAsync(CommitTimeout).GetAwaiter().GetResult();
        }
        catch (NotLeaderException e)
        {
            throw new ControllerMovedException(e.Message, e.LeaderId);
        }
        catch (IOException e)
        {
            throw new MetadataLogFailedException($"{Directory}: the metadata quorum member stopped: {e.Message}", e);
        }
        catch (TimeoutException)
        {
            throw new ControllerMovedException($"the metadata quorum did not commit within {CommitTimeout.TotalSeconds:0} s", -1);
        }
    }

    /// <summary>
    /// The fold of everything committed so far: <paramref name="image"/> (the image before the first record) seeds it
    /// on the first call; later calls continue this log's own fold, whichever thread asks. Where the log starts after
    /// the fold's end (at start from a snapshot, or after one was fetched from the leader) the fold restarts from the
    /// newest snapshot. A snapshot is written when the policy says one is due. Not to be called on the driver's loop
    /// (it waits for it).
    /// </summary>
    public MetadataImage CatchUp(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        lock (_foldLock)
        {
            _empty ??= image;
            var folded = _folded ?? image;
            var (start, snapshot) = _driver.ReadAsync(node => (node.Log.StartOffset, node.Log.LatestSnapshot)).GetAwaiter().GetResult();
            if (start > _foldedEnd || (_folded is null && snapshot is not null))
            {
                if (snapshot is not SnapshotId id || id.EndOffset != start)
                    throw new MetadataLogCorruptException($"{Directory}: the log starts at {start} with no snapshot of what comes before");
                folded = LoadSnapshot(id);
            }
            while (true)
            {
                long from = _foldedEnd;
                var batches = _driver.ReadAsync(node => node.ReadCommitted(from, ReadBytes)).GetAwaiter().GetResult();
                if (batches.Count == 0) break;
                foreach (var batch in batches)
                {
                    folded = MetadataBatchFold.Apply(folded, batch, Directory);
                    _foldedEpoch = batch.Epoch;
                    _foldedTimestamp = Protocol.Records.RecordBatchHeader.MaxTimestamp(batch.Payload.Span);
                    if (!batch.IsControl) _bytesSinceSnapshot += batch.Payload.Length;
                }
                _foldedEnd = batches[^1].EndOffset;
            }
            _folded = folded;
            MaybeSnapshot(folded);
            return folded;
        }
    }

    private MetadataImage LoadSnapshot(SnapshotId id)
    {
        string path = Path.Combine(Directory, id + ".checkpoint");
        byte[] bytes = _driver.ReadAsync(node =>
        {
            long size = node.Log.SnapshotSize(id);
            if (size < 0 || size > int.MaxValue) throw new MetadataLogCorruptException($"{path}: the snapshot cannot be read whole ({size} bytes)");
            return node.Log.ReadSnapshot(id, 0, (int)size).ToArray();
        }).GetAwaiter().GetResult();
        var contents = MetadataSnapshot.Read(bytes, _empty!, id.EndOffset, path);
        _foldedEnd = id.EndOffset;
        _foldedEpoch = id.Epoch;
        _foldedTimestamp = contents.LastContainedLogTimestamp;
        _bytesSinceSnapshot = 0;
        _lastSnapshotAt = _driver.NowMs;
        SnapshotsLoaded++;
        return contents.Image;
    }

    /// <summary>
    /// Every member snapshots what it folded, as Kafka's controllers each do, so its log stays short and a member far
    /// behind is sent a snapshot. A snapshot that cannot be written is retried after as many bytes or as long again.
    /// </summary>
    private void MaybeSnapshot(MetadataImage folded)
    {
        if (!_snapshots.IsDue(_bytesSinceSnapshot, _driver.NowMs - _lastSnapshotAt)) return;
        var id = new SnapshotId(_foldedEnd, Math.Max(_foldedEpoch, 0));
        byte[] bytes = MetadataSnapshot.Write(folded, id.Epoch, _foldedTimestamp);
        _bytesSinceSnapshot = 0;
        _lastSnapshotAt = _driver.NowMs;
        try
        {
            _driver.ReadAsync(node =>
            {
                node.CreateSnapshot(id, bytes);
                return true;
            }).GetAwaiter().GetResult();
            SnapshotsTaken++;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _driver.DisposeAsync().ConfigureAwait(false);
        await _transport.DisposeAsync().ConfigureAwait(false);
        _log.Dispose();
    }
}

/// <summary>This node no longer leads the metadata quorum (or the quorum could not commit): a client should ask the controller again (NOT_CONTROLLER).</summary>
public sealed class ControllerMovedException(string message, int leaderId) : Exception(message)
{
    public int LeaderId { get; } = leaderId;
}
