using Gregor.Protocol;

namespace Gregor.Raft;

/// <summary>Snapshots sent to a follower too far behind to fetch batches (KIP-630's FetchSnapshot).</summary>
public sealed partial class RaftNode
{
    private SnapshotDownload? _snapshotDownload;

    /// <summary>How many snapshots this node has loaded from a leader; the state machine reloads when it changes.</summary>
    public int SnapshotsInstalled { get; private set; }

    private sealed class SnapshotDownload(SnapshotId id)
    {
        public SnapshotId Id { get; } = id;
        public MemoryStream Bytes { get; } = new();
        public long Received => Bytes.Length;
    }

    private void StartSnapshotDownload(SnapshotId snapshot)
    {
        if (snapshot.EndOffset < _highWatermark)
            throw new InvalidOperationException($"node {_id}: the leader offers snapshot {snapshot} below the high watermark {_highWatermark}");
        _snapshotDownload = new SnapshotDownload(snapshot);
    }

    private void HandleFetchSnapshotRequest(int source, FetchSnapshotRequest request)
    {
        ErrorCode error = ErrorCode.None;
        long size = -1;
        if (request.ReplicaId != source) error = ErrorCode.InvalidRequest;
        else if (_role != RaftRole.Leader) error = ErrorCode.NotLeaderOrFollower;
        else if (request.ReplicaEpoch != _epoch) error = EpochError(request.ReplicaEpoch, _epoch);
        else if ((size = _log.SnapshotSize(request.SnapshotId)) < 0) error = ErrorCode.SnapshotNotFound;
        else if (request.Position < 0 || request.Position > size) error = ErrorCode.PositionOutOfRange;
        if (error != ErrorCode.None)
        {
            Send(source, new FetchSnapshotResponse(request.CorrelationId, error, KnownLeaderId, _epoch, request.SnapshotId, -1, request.Position, ReadOnlyMemory<byte>.Empty));
            return;
        }
        int chunk = Math.Min(Math.Max(request.MaxBytes, 1), _settings.SnapshotChunkBytes);
        var bytes = _log.ReadSnapshot(request.SnapshotId, request.Position, chunk);
        Send(source, new FetchSnapshotResponse(request.CorrelationId, ErrorCode.None, _id, _epoch, request.SnapshotId, size, request.Position, bytes));
    }

    private void HandleFetchSnapshotResponse(int source, FetchSnapshotResponse response)
    {
        if (response.CorrelationId != _fetchInFlight) return;
        _fetchInFlight = -1;
        if (HandleEpochInResponse(source, response.LeaderEpoch, response.LeaderId)) return;
        if (_role != RaftRole.Follower || source != _leaderId || _snapshotDownload is not { } download) return;
        if (response.Error != ErrorCode.None || response.SnapshotId != download.Id
            || response.Position != download.Received || response.Size > _settings.MaxSnapshotBytes
            || response.Position + response.Bytes.Length > response.Size)
        {
            // Start over from a fetch: the leader names its newest snapshot again.
            _snapshotDownload = null;
            _retryAt = _now + RetryBackoffMs;
            return;
        }
        _lastLeaderContact = _now;
        _fetchDeadline = _now + _settings.FetchTimeoutMs;
        download.Bytes.Write(response.Bytes.Span);
        if (download.Received == response.Size)
        {
            _snapshotDownload = null;
            _log.InstallSnapshot(download.Id, download.Bytes.ToArray());
            if (download.Id.EndOffset > _highWatermark) _highWatermark = download.Id.EndOffset;
            SnapshotsInstalled++;
        }
        MaybeSendFetch();
    }
}
