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
        RaftSettings settings, TimeProvider time, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(voters);
        string directory = Path.Combine(logDir, MetadataLog.DirectoryName);
        var raftLog = FileRaftLog.Open(directory, time);
        try
        {
            long origin = time.GetTimestamp();
            long wallClock = time.GetUtcNow().ToUnixTimeMilliseconds();
            var node = new RaftNode(nodeId, voters.Keys, settings, raftLog, new FileQuorumStateStore(directory), new Random(), 0,
                (leader, voterIds) => LeaderChangeBatch.Build(leader, voterIds, wallClock));
            var transport = new KafkaRaftTransport(clusterId, voters,
                new ConnectionSettings { ClientId = $"raft-{nodeId}", SoftwareName = "gregor-raft", Clock = time }, settings);
            var driver = new RaftDriver(node, transport, time, origin, log);
            var opened = new ReplicatedMetadataLog(raftLog, transport, driver, time, clusterId);
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
    /// on the first call; later calls continue this log's own fold, whichever thread asks. Not to be called on the
    /// driver's loop (it waits for it).
    /// </summary>
    public MetadataImage CatchUp(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        lock (_foldLock)
        {
            var folded = _folded ?? image;
            while (true)
            {
                long from = _foldedEnd;
                var batches = _driver.ReadAsync(node => node.ReadCommitted(Math.Max(from, node.Log.StartOffset), ReadBytes)).GetAwaiter().GetResult();
                if (batches.Count == 0) break;
                foreach (var batch in batches)
                    folded = MetadataBatchFold.Apply(folded, batch, Directory);
                _foldedEnd = batches[^1].EndOffset;
            }
            _folded = folded;
            return folded;
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
