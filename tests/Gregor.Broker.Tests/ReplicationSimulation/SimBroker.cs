using Gregor.Broker.Replication;
using Gregor.Metadata;
using Gregor.Protocol.Primitives;
using Gregor.Storage;

namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// One simulated broker holding a replica of the partition: the real <see cref="HostedPartition"/> over a real
/// <see cref="PartitionLog"/> in its own directory, and what the broker's services around it hold in memory (its
/// registration, the metadata it applied, the replica fetcher's state, produce requests waiting for acks=all). A crash
/// drops all of that but the directory.
/// </summary>
internal sealed class SimBroker(int id, string directory)
{
    public int Id { get; } = id;

    public string Directory { get; } = directory;

    /// <summary>Bumped at every start: answers to requests of an earlier incarnation are dropped.</summary>
    public int Incarnation { get; set; }

    /// <summary>The process's incarnation id, which its registration (and every retry of it) names.</summary>
    public KafkaUuid IncarnationId { get; set; }

    public HostedPartition? Partition { get; set; }

    public PartitionLog Log => Partition!.Log;

    public bool IsUp => Partition is not null;

    public bool Paused { get; set; }

    public List<SimMessage> HeldWhilePaused { get; } = [];

    public long BrokerEpoch { get; set; } = -1;

    public bool Registering { get; set; }

    public long NextHeartbeatMs { get; set; }

    public long NextShrinkCheckMs { get; set; }

    public MetadataImage? Image { get; set; }

    /// <summary>The leader and epoch followed, as the replica fetcher holds them; null when not following.</summary>
    public Followed? Following { get; set; }

    public List<PendingProduce> Pending { get; } = [];

    public (long Id, Gregor.Broker.Replication.IsrChange Change, long SentMs)? AlterInFlight { get; set; }

    /// <summary>Offsets below this were checked against the committed batches (moves with the high watermark).</summary>
    public long CheckedUpTo { get; set; }

    /// <summary>The leader epoch whose start was checked (the new leader holds every committed batch).</summary>
    public int CheckedLeaderEpoch { get; set; } = -1;

    public long LastLeaderHighWatermark { get; set; } = -1;

    public string LastState { get; set; } = "";
}

/// <summary>The replica fetcher's hold on one partition (Kafka's PartitionFetchState): the leader, its epoch, and where it is.</summary>
internal sealed class Followed(int leader, int leaderEpoch)
{
    public int Leader { get; } = leader;

    public int LeaderEpoch { get; } = leaderEpoch;

    /// <summary>Must agree with the leader where the logs part before fetching (KIP-101/279).</summary>
    public bool Truncating { get; set; } = true;

    public long DelayedUntilMs { get; set; }

    /// <summary>The request in flight and when it was sent (a lost one times out).</summary>
    public long InFlight { get; set; } = -1;

    public long SentMs { get; set; }

    public long FetchOffset { get; set; }
}

/// <summary>An acks=all produce appended by a leader and waiting for its high watermark.</summary>
internal sealed record PendingProduce(int Producer, long RequestId, long EndOffset, int LeaderEpoch, long BaseOffset, long DeadlineMs, long Connection);

/// <summary>
/// A producer client. A plain one has one batch in flight, retried until acknowledged (a retry may duplicate it). An
/// idempotent one keeps up to <see cref="MaxInFlight"/> batches in flight (max.in.flight.requests.per.connection, at
/// most 5), each with its sequence; after an error or a timeout it sends again, in order, from the batch that failed.
/// </summary>
internal sealed class SimProducer(int endpoint, bool idempotent, int maxInFlight)
{
    public int Endpoint { get; } = endpoint;

    public bool Idempotent { get; } = idempotent;

    public int MaxInFlight { get; } = maxInFlight;

    public long ProducerId { get; set; } = -1;

    public int NextSequence { get; set; }

    /// <summary>A batch was acknowledged under <see cref="ProducerId"/> (see <see cref="ReplicationSimulationOptions.FirstBatchAlone"/>).</summary>
    public bool AcknowledgedUnderId { get; set; }

    /// <summary>Batches not yet acknowledged, in sequence order.</summary>
    public List<OutgoingBatch> Unacknowledged { get; } = [];

    public long NextSendMs { get; set; }

    /// <summary>The connection in use and the broker it goes to (-1: none yet).</summary>
    public long Connection { get; set; } = -1;

    public int ConnectedTo { get; set; } = -1;
}

/// <summary>One value's batch (built once, resent as is) and the request it is in flight in (-1: none).</summary>
internal sealed class OutgoingBatch(long value, int sequence, byte[] bytes)
{
    public long Value { get; } = value;

    public int Sequence { get; } = sequence;

    public byte[] Bytes { get; } = bytes;

    public long RequestId { get; set; } = -1;

    public long SentMs { get; set; }
}
