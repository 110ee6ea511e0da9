using Gregor.Protocol;

namespace Gregor.Raft;

/// <summary>The leader's side of replication: serving fetches, counting acknowledgements, moving the high watermark.</summary>
public sealed partial class RaftNode
{
    private readonly Dictionary<int, ReplicaProgress> _replicas = [];
    private readonly Dictionary<int, ParkedFetch> _parkedFetches = [];
    private readonly HashSet<int> _epochBegun = [];
    private long _epochStartOffset;
    private bool _unflushed;
    private long _beginQuorumResendAt;

    /// <summary>A fetch that found nothing new, held until data or a new high watermark arrives, or its wait ends.</summary>
    private readonly record struct ParkedFetch(FetchRequest Request, long DeadlineMs);

    /// <summary>The leader's view of every replica that fetched in this epoch, voters first; empty on a node that does not lead.</summary>
    public IReadOnlyList<ReplicaProgress> ReplicaStates()
    {
        if (_role != RaftRole.Leader) return [];
        var self = new ReplicaProgress(_id, true, _log.FlushedEndOffset, _now, _now);
        return [self, .. _replicas.Values.OrderBy(r => r.IsVoter ? 0 : 1).ThenBy(r => r.ReplicaId)];
    }

    /// <summary>The quorum as this node leads it, or null when it does not lead.</summary>
    public QuorumDescription? Describe()
    {
        if (_role != RaftRole.Leader) return null;
        var states = ReplicaStates();
        var voters = _voters.Select(v => states.FirstOrDefault(s => s.ReplicaId == v) ?? new ReplicaProgress(v, true, -1, -1, -1)).ToList();
        var observers = states.Where(s => !s.IsVoter).ToList();
        return new QuorumDescription(_id, _epoch, _highWatermark, voters, observers);
    }

    private void ClearLeaderState()
    {
        _replicas.Clear();
        _parkedFetches.Clear();
        _epochBegun.Clear();
        _unflushed = false;
    }

    private void StartLeading()
    {
        _epochStartOffset = _log.EndOffset;
        foreach (int voter in _voters)
            if (voter != _id) _replicas[voter] = new ReplicaProgress(voter, true, -1, _now, -1);
        // The leader-change marker: the first entry of the epoch. Entries of earlier epochs commit only with it.
        AppendAsLeader(new RaftBatch(_log.EndOffset, _epoch, 1, IsControl: true, _leaderChangePayload(_id, _voters)));
        SendBeginQuorumEpoch();
        if (_voters.Length == 1) FlushAsLeader();
    }

    /// <summary>The other voters, the most caught up first: the ones a resigning leader asks to stand.</summary>
    private List<int> PreferredSuccessors() => _replicas.Values
        .Where(r => r.IsVoter)
        .OrderByDescending(r => r.EndOffset)
        .ThenBy(r => r.ReplicaId)
        .Select(r => r.ReplicaId)
        .ToList();

    private void SendBeginQuorumEpoch()
    {
        foreach (int voter in _voters)
            if (voter != _id && !_epochBegun.Contains(voter))
                Send(voter, new BeginQuorumEpochRequest(_epoch, _id));
        _beginQuorumResendAt = _now + _settings.RequestTimeoutMs;
    }

    private void AppendAsLeader(RaftBatch batch)
    {
        _log.Append(batch);
        _unflushed = true;
        CompleteParkedFetches(all: true);
    }

    private void TickLeader()
    {
        FlushAsLeader();
        if (_role != RaftRole.Leader) return;
        if (_now >= _beginQuorumResendAt && _epochBegun.Count < _voters.Length - 1) SendBeginQuorumEpoch();
        CompleteParkedFetches(all: false);
        // Check-quorum: a leader cut off from a majority for longer than a follower waits gives the epoch up,
        // so it does not go on answering as leader while the others elect a new one.
        long cutoff = _now - _settings.FetchTimeoutMs * 3L / 2;
        int inContact = 1 + _replicas.Values.Count(r => r.IsVoter && r.LastFetchTimeMs >= cutoff);
        if (inContact < Majority) TransitionToResigned();
    }

    private void FlushAsLeader()
    {
        if (!_unflushed) return;
        _log.Flush();
        _unflushed = false;
        UpdateLeaderHighWatermark();
    }

    private void UpdateLeaderHighWatermark()
    {
        Span<long> ends = stackalloc long[_voters.Length];
        int i = 0;
        foreach (int voter in _voters)
            ends[i++] = voter == _id ? _log.FlushedEndOffset : _replicas[voter].EndOffset;
        ends.Sort();
        long majorityEnd = ends[_voters.Length - Majority];
        // Only an offset past this epoch's first entry counts: that is what makes earlier epochs' entries safe to commit.
        if (majorityEnd > _epochStartOffset && majorityEnd > _highWatermark)
        {
            _highWatermark = majorityEnd;
            CompleteParkedFetches(all: true);
        }
    }

    private void HandleBeginQuorumEpochResponse(int source, BeginQuorumEpochResponse response)
    {
        if (HandleEpochInResponse(source, response.Epoch, response.LeaderId)) return;
        if (_role == RaftRole.Leader && response.Error == ErrorCode.None && response.Epoch == _epoch)
            _epochBegun.Add(source);
    }

    private void HandleFetchRequest(int source, FetchRequest request)
    {
        if (request.ReplicaId != source)
        {
            Send(source, FetchError(request, ErrorCode.InvalidRequest));
            return;
        }
        if (_role != RaftRole.Leader)
        {
            // Tells an observer or a stale follower who leads, if this node knows.
            Send(source, FetchError(request, request.ReplicaEpoch > _epoch ? ErrorCode.UnknownLeaderEpoch : ErrorCode.NotLeaderOrFollower));
            return;
        }
        if (request.ReplicaEpoch != _epoch)
        {
            Send(source, FetchError(request, EpochError(request.ReplicaEpoch, _epoch)));
            return;
        }
        if (_voters.Contains(source)) _epochBegun.Add(source);
        var validation = ValidateFetchPosition(request.FetchOffset, request.LastFetchedEpoch);
        if (validation.Snapshot is SnapshotId snapshot)
        {
            Send(source, new FetchResponse(request.CorrelationId, ErrorCode.None, _id, _epoch, AnsweredHighWatermark, [], null, snapshot));
            return;
        }
        if (validation.Diverging is OffsetAndEpoch diverging)
        {
            Send(source, new FetchResponse(request.CorrelationId, ErrorCode.None, _id, _epoch, AnsweredHighWatermark, [], diverging, null));
            return;
        }
        RecordFetch(source, request.FetchOffset);
        if (request.FetchOffset >= _log.EndOffset && request.MaxWaitMs > 0)
        {
            _parkedFetches[source] = new ParkedFetch(request, _now + Math.Min(request.MaxWaitMs, _settings.FetchMaxWaitMs));
            return;
        }
        _parkedFetches.Remove(source);
        Send(source, FetchAnswer(request));
    }

    private void RecordFetch(int replicaId, long fetchOffset)
    {
        bool isVoter = _voters.Contains(replicaId);
        _replicas.TryGetValue(replicaId, out var previous);
        // A fetch offset is durable on the replica before it is sent, and a replica truncates only what diverges
        // from this leader's log, so within an epoch its acknowledged end only grows: a smaller offset is an old
        // request that arrived late, and counts for nothing.
        long endOffset = previous is null ? fetchOffset : Math.Max(previous.EndOffset, fetchOffset);
        long caughtUp = fetchOffset >= _log.EndOffset ? _now : previous?.LastCaughtUpTimeMs ?? -1;
        _replicas[replicaId] = new ReplicaProgress(replicaId, isVoter, endOffset, _now, caughtUp);
        if (isVoter) UpdateLeaderHighWatermark();
    }

    private FetchResponse FetchAnswer(FetchRequest request)
    {
        var batches = request.FetchOffset < _log.EndOffset
            ? _log.Read(request.FetchOffset, Math.Min(request.MaxBytes, _settings.FetchMaxBytes))
            : [];
        return new FetchResponse(request.CorrelationId, ErrorCode.None, _id, _epoch, AnsweredHighWatermark, batches, null, null);
    }

    /// <summary>
    /// The high watermark a leader tells fetchers: −1 (unknown, as Kafka's leader answers) until the first entry of its
    /// epoch has committed. Before that its own high watermark is what it last heard as a follower, which may be behind
    /// what the previous leader committed, and a restarted member holding that much would wrongly count itself caught up.
    /// </summary>
    private long AnsweredHighWatermark => IsLeaderReady ? _highWatermark : -1;

    private FetchResponse FetchError(FetchRequest request, ErrorCode error) =>
        new(request.CorrelationId, error, KnownLeaderId, _epoch, -1, [], null, null);

    /// <summary>Answers held fetches: all of them (new data or a new high watermark), or those whose wait ran out.</summary>
    private void CompleteParkedFetches(bool all)
    {
        if (_parkedFetches.Count == 0) return;
        List<int>? done = null;
        foreach (var (replica, parked) in _parkedFetches)
        {
            if (!all && _now < parked.DeadlineMs) continue;
            Send(replica, FetchAnswer(parked.Request));
            (done ??= []).Add(replica);
        }
        if (done is null) return;
        foreach (int replica in done) _parkedFetches.Remove(replica);
    }

    private readonly record struct FetchValidation(OffsetAndEpoch? Diverging, SnapshotId? Snapshot);

    /// <summary>
    /// Checks a fetcher's log end against this log (KIP-595): the snapshot to load when its position is behind
    /// the log's start, the end of the largest common epoch when its last epoch ends earlier here, else valid.
    /// </summary>
    private FetchValidation ValidateFetchPosition(long fetchOffset, int lastFetchedEpoch)
    {
        if (fetchOffset > _log.EndOffset && lastFetchedEpoch == _log.LastEpoch)
            return new FetchValidation(new OffsetAndEpoch(_log.EndOffset, _log.LastEpoch), null);
        if (fetchOffset == 0 && lastFetchedEpoch == 0 && _log.StartOffset == 0)
            return default;
        if (_log.LatestSnapshot is SnapshotId snapshot
            && (fetchOffset < _log.StartOffset
                || (fetchOffset == _log.StartOffset && lastFetchedEpoch != snapshot.Epoch)
                || lastFetchedEpoch < snapshot.Epoch))
            return new FetchValidation(null, snapshot);
        var end = _log.EndOffsetForEpoch(lastFetchedEpoch);
        if (end.Epoch != lastFetchedEpoch || end.Offset < fetchOffset)
            return new FetchValidation(end, null);
        return default;
    }
}
