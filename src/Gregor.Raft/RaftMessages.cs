using Gregor.Protocol;

namespace Gregor.Raft;

/// <summary>
/// The messages of the Raft core, field for field the parts of Kafka's KRaft RPCs (Vote, BeginQuorumEpoch,
/// EndQuorumEpoch, Fetch, FetchSnapshot) that the protocol logic reads. The core exchanges these; the driver
/// translates them to and from the wire messages, so the core has no codec and no socket.
/// </summary>
public abstract record RaftMessage;

/// <summary>A message on its way from one node to another.</summary>
public readonly record struct RaftEnvelope(int Source, int Destination, RaftMessage Message)
{
    public override string ToString() => $"{Source}->{Destination} {Message}";
}

/// <summary>
/// Asks for a vote in <see cref="CandidateEpoch"/>. A pre-vote (KIP-996) asks whether the vote would be granted,
/// naming the epoch the sender would become a candidate in, and changes nothing at the receiver.
/// </summary>
public sealed record VoteRequest(int CandidateEpoch, int CandidateId, OffsetAndEpoch LastLogPosition, bool PreVote) : RaftMessage;

/// <summary>The receiver's epoch and the leader it knows (-1 for none), so a stale sender catches up.</summary>
public sealed record VoteResponse(ErrorCode Error, int Epoch, int LeaderId, bool VoteGranted, bool PreVote) : RaftMessage;

/// <summary>A new leader tells a voter it leads <see cref="Epoch"/>, so the voter starts fetching without waiting for its own timeout.</summary>
public sealed record BeginQuorumEpochRequest(int Epoch, int LeaderId) : RaftMessage;

public sealed record BeginQuorumEpochResponse(ErrorCode Error, int Epoch, int LeaderId) : RaftMessage;

/// <summary>A leader gives up <see cref="Epoch"/>; the voters listed first should stand first, since their logs were most complete.</summary>
public sealed record EndQuorumEpochRequest(int Epoch, int LeaderId, IReadOnlyList<int> PreferredSuccessors) : RaftMessage;

public sealed record EndQuorumEpochResponse(ErrorCode Error, int Epoch, int LeaderId) : RaftMessage;

/// <summary>
/// A follower's (or observer's) pull from the leader, and its acknowledgement: <see cref="FetchOffset"/> is
/// its log end offset, durable before the request is sent, and <see cref="LastFetchedEpoch"/> the epoch of the
/// entry before it, which the leader checks against its own log.
/// </summary>
public sealed record FetchRequest(int CorrelationId, int ReplicaEpoch, int ReplicaId, long FetchOffset, int LastFetchedEpoch, int MaxBytes, int MaxWaitMs) : RaftMessage;

/// <summary>
/// The leader's answer: batches from the fetch offset, its high watermark, and when the follower's log
/// disagrees either where it diverges (<see cref="DivergingEpoch"/>) or the snapshot to load instead
/// (<see cref="SnapshotId"/>).
/// </summary>
public sealed record FetchResponse(
    int CorrelationId,
    ErrorCode Error,
    int LeaderId,
    int LeaderEpoch,
    long HighWatermark,
    IReadOnlyList<RaftBatch> Batches,
    OffsetAndEpoch? DivergingEpoch,
    SnapshotId? SnapshotId) : RaftMessage;

/// <summary>Reads <see cref="MaxBytes"/> of a snapshot from <see cref="Position"/>.</summary>
public sealed record FetchSnapshotRequest(int CorrelationId, int ReplicaEpoch, int ReplicaId, SnapshotId SnapshotId, long Position, int MaxBytes) : RaftMessage;

public sealed record FetchSnapshotResponse(
    int CorrelationId,
    ErrorCode Error,
    int LeaderId,
    int LeaderEpoch,
    SnapshotId SnapshotId,
    long Size,
    long Position,
    ReadOnlyMemory<byte> Bytes) : RaftMessage;
