using Gregor.Protocol;

namespace Gregor.Raft;

/// <summary>The fetching side: followers pull from the leader; observers find it first.</summary>
public sealed partial class RaftNode
{
    private int _nextCorrelationId;
    private int _fetchInFlight = -1;
    private long _fetchSentAt;
    private long _fetchDeadline = long.MaxValue;
    private long _lastLeaderContact = long.MinValue / 2;
    private long _retryAt;

    /// <summary>Pause after a refused fetch before the next (<c>controller.quorum.retry.backoff.ms</c>, default 20).</summary>
    private const int RetryBackoffMs = 20;

    private void ClearFollowerState()
    {
        _fetchInFlight = -1;
        _fetchDeadline = long.MaxValue;
        _retryAt = 0;
        _snapshotDownload = null;
    }

    private void TickFollower()
    {
        if (_now >= _fetchDeadline)
        {
            // The leader went quiet for a whole fetch timeout: a voter asks whether it could lead, an observer looks again.
            if (_isVoter) TransitionToProspective();
            else LoseLeaderAsObserver();
            return;
        }
        if (_fetchInFlight >= 0 && _now - _fetchSentAt >= _settings.RequestTimeoutMs) _fetchInFlight = -1;
        MaybeSendFetch();
    }

    private void LoseLeaderAsObserver()
    {
        ClearRoleState();
        _role = RaftRole.Unattached;
        _leaderId = -1;
        MaybeSendDiscoveryFetch();
    }

    /// <summary>Sends the next fetch (or snapshot fetch) to the leader unless one is outstanding; flushes first, since the fetch offset acknowledges.</summary>
    private void MaybeSendFetch()
    {
        if (_role != RaftRole.Follower || _fetchInFlight >= 0 || _now < _retryAt) return;
        _fetchInFlight = ++_nextCorrelationId;
        _fetchSentAt = _now;
        if (_snapshotDownload is { } download)
        {
            int chunk = _settings.SnapshotChunkBytes;
            Send(_leaderId, new FetchSnapshotRequest(_fetchInFlight, _epoch, _id, download.Id, download.Received, chunk));
            return;
        }
        _log.Flush();
        Send(_leaderId, new FetchRequest(_fetchInFlight, _epoch, _id, _log.EndOffset, _log.LastEpoch, _settings.FetchMaxBytes, _settings.FetchMaxWaitMs));
    }

    /// <summary>An observer without a leader asks a random voter; any voter's answer names the leader it knows.</summary>
    private void MaybeSendDiscoveryFetch()
    {
        if (_isVoter || _role != RaftRole.Unattached) return;
        if (_fetchInFlight >= 0 && _now - _fetchSentAt < _settings.RequestTimeoutMs) return;
        if (_now < _retryAt) return;
        _fetchInFlight = ++_nextCorrelationId;
        _fetchSentAt = _now;
        int voter = _voters[_random.Next(_voters.Length)];
        Send(voter, new FetchRequest(_fetchInFlight, _epoch, _id, _log.EndOffset, _log.LastEpoch, _settings.FetchMaxBytes, 0));
    }

    private void HandleFetchResponse(int source, FetchResponse response)
    {
        if (response.CorrelationId != _fetchInFlight) return;
        _fetchInFlight = -1;
        if (HandleEpochInResponse(source, response.LeaderEpoch, response.LeaderId)) return;
        if (_role != RaftRole.Follower || source != _leaderId || response.LeaderEpoch != _epoch)
        {
            // An observer's discovery that found no leader, or an answer from a node that no longer leads.
            _retryAt = _now + RetryBackoffMs;
            MaybeSendDiscoveryFetch();
            return;
        }
        if (response.Error != ErrorCode.None)
        {
            _retryAt = _now + RetryBackoffMs;
            return;
        }
        _lastLeaderContact = _now;
        _fetchDeadline = _now + _settings.FetchTimeoutMs;
        if (response.SnapshotId is SnapshotId snapshot)
        {
            StartSnapshotDownload(snapshot);
        }
        else if (response.DivergingEpoch is OffsetAndEpoch diverging)
        {
            TruncateToDivergence(diverging);
        }
        else
        {
            AppendFromLeader(response.Batches);
            long newHighWatermark = Math.Min(response.HighWatermark, _log.EndOffset);
            if (newHighWatermark > _highWatermark) _highWatermark = newHighWatermark;
            // A leader whose epoch has not begun knows no high watermark yet (−1): that is no account of what is committed.
            if (response.HighWatermark >= 0 && response.HighWatermark <= _log.EndOffset) HasCaughtUpWithLeader = true;
        }
        MaybeSendFetch();
    }

    private void AppendFromLeader(IReadOnlyList<RaftBatch> batches)
    {
        foreach (var batch in batches)
        {
            if (batch.BaseOffset != _log.EndOffset)
                throw new InvalidOperationException($"node {_id}: the leader sent a batch at {batch.BaseOffset} for a fetch at {_log.EndOffset}");
            _log.Append(batch);
        }
    }

    /// <summary>
    /// Cuts the log back to where it agrees with the leader's: the end of the largest epoch both hold, or the
    /// leader's end of it if that is earlier. What is committed is never cut: that would be a broken quorum.
    /// </summary>
    private void TruncateToDivergence(OffsetAndEpoch diverging)
    {
        var local = _log.EndOffsetForEpoch(diverging.Epoch);
        long truncateTo = Math.Min(local.Offset < 0 ? _log.StartOffset : local.Offset, diverging.Offset);
        truncateTo = Math.Max(truncateTo, _log.StartOffset);
        if (truncateTo < _highWatermark)
            throw new InvalidOperationException($"node {_id}: truncating to {truncateTo} below the high watermark {_highWatermark} (diverging at {diverging})");
        if (truncateTo < _log.EndOffset) _log.TruncateTo(truncateTo);
    }
}
