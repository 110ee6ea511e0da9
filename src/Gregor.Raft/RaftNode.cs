using System.Collections.Immutable;
using Gregor.Protocol;

namespace Gregor.Raft;

/// <summary>
/// One member of a KRaft quorum (KIP-595, with KIP-996 pre-vote and KIP-630 snapshots), written sans-io:
/// the caller hands it the time and every message that arrives, and takes from <see cref="TakeOutbox"/>
/// the messages to send. It never reads a clock, starts a thread or opens a socket, so a simulation can
/// drive a whole quorum from one seed and replay it exactly. Durable state goes through
/// <see cref="IQuorumStateStore"/> (epoch and vote, written before any message that depends on them is
/// queued) and <see cref="IRaftLog"/> (flushed before an offset is acknowledged or counted).
/// Not thread-safe: one caller at a time (the driver's event loop).
/// </summary>
public sealed partial class RaftNode
{
    private readonly int _id;
    private readonly ImmutableArray<int> _voters;
    private readonly bool _isVoter;
    private readonly RaftSettings _settings;
    private readonly IRaftLog _log;
    private readonly IQuorumStateStore _store;
    private readonly Random _random;
    private readonly Func<int, ImmutableArray<int>, ReadOnlyMemory<byte>> _leaderChangePayload;
    private readonly List<RaftEnvelope> _outbox = [];
    private long _now;

    private RaftRole _role;
    private int _epoch;
    private int _votedId = -1;
    private int _leaderId = -1;
    private long _highWatermark;

    /// <summary>When an unattached, prospective, candidate or resigned voter acts next.</summary>
    private long _electionDeadline = long.MaxValue;

    /// <param name="voters">The ids of the voters (<c>controller.quorum.voters</c>); a node not among them is an observer.</param>
    /// <param name="leaderChangePayload">
    /// Builds the payload of the control batch a new leader appends (its id and the voters), in the log's batch
    /// format: a v2 control batch on disk; by default <see cref="LeaderChangeMarker"/>'s bytes.
    /// </param>
    public RaftNode(int id, IEnumerable<int> voters, RaftSettings settings, IRaftLog log, IQuorumStateStore store, Random random, long nowMs,
        Func<int, ImmutableArray<int>, ReadOnlyMemory<byte>>? leaderChangePayload = null)
    {
        ArgumentNullException.ThrowIfNull(voters);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(random);
        settings.Validate();
        _id = id;
        _voters = [.. voters.Distinct().Order()];
        if (_voters.IsEmpty) throw new ArgumentException("a quorum has at least one voter", nameof(voters));
        _isVoter = _voters.Contains(id);
        _settings = settings;
        _log = log;
        _store = store;
        _random = random;
        _leaderChangePayload = leaderChangePayload ?? ((leader, voterIds) => LeaderChangeMarker.Encode(leader, voterIds));
        _now = nowMs;
        _highWatermark = log.LatestSnapshot?.EndOffset ?? 0;
        Start(store.Read() ?? QuorumStateData.Initial);
    }

    public int Id => _id;

    public ImmutableArray<int> Voters => _voters;

    public bool IsVoter => _isVoter;

    public RaftRole Role => _role;

    public int Epoch => _epoch;

    /// <summary>The leader of <see cref="Epoch"/> as far as this node knows, or −1.</summary>
    public int LeaderId => _leaderId;

    public int VotedId => _votedId;

    /// <summary>The leader this node tells others about: none once the leader of this epoch has resigned.</summary>
    private int KnownLeaderId => _role == RaftRole.Resigned ? -1 : _leaderId;

    /// <summary>Every offset below it is committed: held durably by a majority of voters, and never lost or changed.</summary>
    public long HighWatermark => _highWatermark;

    public IRaftLog Log => _log;

    /// <summary>
    /// Since this node started, it has held everything a leader had committed when it answered a fetch (or it leads
    /// and its epoch has begun): what it has committed is then no older than the quorum was at that moment. A broker
    /// serves its metadata only from then on, not from the stale log it restarted with.
    /// </summary>
    public bool HasCaughtUpWithLeader
    {
        get => _hasCaughtUpWithLeader || IsLeaderReady;
        private set => _hasCaughtUpWithLeader = value;
    }

    private bool _hasCaughtUpWithLeader;

    /// <summary>
    /// Leads, and the first entry of its epoch has committed: everything committed before it is now known and
    /// folded, so a controller on this node may act on the state.
    /// </summary>
    public bool IsLeaderReady => _role == RaftRole.Leader && _highWatermark > _epochStartOffset;

    public RaftSettings Settings => _settings;

    private int Majority => _voters.Length / 2 + 1;

    private OffsetAndEpoch LastLogPosition => new(_log.EndOffset, _log.LastEpoch);

    /// <summary>The messages queued since the last call, in the order they were queued.</summary>
    public IReadOnlyList<RaftEnvelope> TakeOutbox()
    {
        if (_outbox.Count == 0) return [];
        var taken = _outbox.ToArray();
        _outbox.Clear();
        return taken;
    }

    /// <summary>Advances time: flushes the leader's appends, fires timeouts, resends what went unanswered.</summary>
    public void Tick(long nowMs)
    {
        AdvanceTime(nowMs);
        switch (_role)
        {
            case RaftRole.Leader:
                TickLeader();
                break;
            case RaftRole.Follower:
                TickFollower();
                break;
            case RaftRole.Unattached:
                if (!_isVoter)
                    MaybeSendDiscoveryFetch();
                else if (_now >= _electionDeadline)
                    TransitionToProspective();
                break;
            case RaftRole.Prospective:
            case RaftRole.Candidate:
            case RaftRole.Resigned:
                if (_now >= _electionDeadline) TransitionToProspective();
                break;
        }
    }

    /// <summary>Handles one message that arrived from <see cref="RaftEnvelope.Source"/>.</summary>
    public void Receive(long nowMs, RaftEnvelope envelope)
    {
        AdvanceTime(nowMs);
        if (envelope.Destination != _id)
            throw new ArgumentException($"a message for node {envelope.Destination} was handed to node {_id}", nameof(envelope));
        int source = envelope.Source;
        switch (envelope.Message)
        {
            case VoteRequest r: HandleVoteRequest(source, r); break;
            case VoteResponse r: HandleVoteResponse(source, r); break;
            case BeginQuorumEpochRequest r: HandleBeginQuorumEpoch(source, r); break;
            case BeginQuorumEpochResponse r: HandleBeginQuorumEpochResponse(source, r); break;
            case EndQuorumEpochRequest r: HandleEndQuorumEpoch(source, r); break;
            case EndQuorumEpochResponse r: HandleEpochInResponse(source, r.Epoch, r.LeaderId); break;
            case FetchRequest r: HandleFetchRequest(source, r); break;
            case FetchResponse r: HandleFetchResponse(source, r); break;
            case FetchSnapshotRequest r: HandleFetchSnapshotRequest(source, r); break;
            case FetchSnapshotResponse r: HandleFetchSnapshotResponse(source, r); break;
            default: throw new ArgumentException($"not a Raft message: {envelope.Message.GetType().Name}", nameof(envelope));
        }
    }

    /// <summary>
    /// Appends a batch of <paramref name="recordCount"/> records to the log when this node leads, and returns
    /// the offset of its last record (the batch is committed once <see cref="HighWatermark"/> passes it with the
    /// batch still at that offset in <see cref="Epoch"/>), or null when this node does not lead.
    /// </summary>
    public long? Propose(long nowMs, ReadOnlyMemory<byte> payload, int recordCount)
    {
        if (recordCount <= 0) throw new ArgumentOutOfRangeException(nameof(recordCount), "a batch holds at least one record");
        AdvanceTime(nowMs);
        if (_role != RaftRole.Leader) return null;
        var batch = new RaftBatch(_log.EndOffset, _epoch, recordCount, IsControl: false, payload);
        AppendAsLeader(batch);
        return batch.EndOffset - 1;
    }

    /// <summary>Gives up leadership (a controlled shutdown): the voters are told at once instead of waiting for their timeouts.</summary>
    public void Resign(long nowMs)
    {
        AdvanceTime(nowMs);
        if (_role == RaftRole.Leader) TransitionToResigned();
    }

    /// <summary>
    /// The committed batches from <paramref name="offset"/> (a batch boundary at or above the log's start offset),
    /// control batches included, up to about <paramref name="maxBytes"/>.
    /// </summary>
    public IReadOnlyList<RaftBatch> ReadCommitted(long offset, int maxBytes)
    {
        if (offset >= _highWatermark) return [];
        var batches = _log.Read(offset, maxBytes);
        int count = 0;
        while (count < batches.Count && batches[count].EndOffset <= _highWatermark) count++;
        return count == batches.Count ? batches : batches.Take(count).ToArray();
    }

    /// <summary>
    /// Stores a snapshot of the state folded from every committed record below <paramref name="id"/>'s end offset
    /// and drops the log's batches below it. The snapshot must cover only committed records.
    /// </summary>
    public void CreateSnapshot(SnapshotId id, ReadOnlyMemory<byte> content)
    {
        if (id.EndOffset > _highWatermark)
            throw new InvalidOperationException($"snapshot {id} is not committed: the high watermark is {_highWatermark}");
        if (id.EndOffset <= _log.StartOffset) return;
        _log.CreateSnapshot(id, content);
    }

    private void AdvanceTime(long nowMs)
    {
        if (nowMs < _now) throw new ArgumentOutOfRangeException(nameof(nowMs), $"time went back from {_now} to {nowMs}");
        _now = nowMs;
    }

    private void Send(int destination, RaftMessage message) => _outbox.Add(new RaftEnvelope(_id, destination, message));

    private long RandomElectionTimeout() => _settings.ElectionTimeoutMs + _random.Next(_settings.ElectionTimeoutMs);

    private long RandomBackoff() => 1 + _random.Next(_settings.ElectionBackoffMaxMs);

    private static ErrorCode EpochError(int requestEpoch, int ourEpoch) =>
        requestEpoch < ourEpoch ? ErrorCode.FencedLeaderEpoch : ErrorCode.UnknownLeaderEpoch;
}
