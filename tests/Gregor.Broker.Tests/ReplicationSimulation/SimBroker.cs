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
internal sealed record PendingProduce(int Producer, long RequestId, long EndOffset, int LeaderEpoch, long BaseOffset, long DeadlineMs);

/// <summary>A producer client: one batch in flight, retried until acknowledged (the same sequence when idempotent).</summary>
internal sealed class SimProducer(int endpoint, bool idempotent)
{
    public int Endpoint { get; } = endpoint;

    public bool Idempotent { get; } = idempotent;

    public long ProducerId { get; set; } = -1;

    public int NextSequence { get; set; }

    /// <summary>The value being written, its batch (as first built, resent as is) and its sequence; 0 when idle.</summary>
    public long Value { get; set; }

    public byte[]? Batch { get; set; }

    public long RequestId { get; set; } = -1;

    public long SentMs { get; set; }

    public long NextSendMs { get; set; }

    public int Attempts { get; set; }
}
