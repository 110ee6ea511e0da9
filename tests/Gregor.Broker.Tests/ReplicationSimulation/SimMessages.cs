using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>What travels between the simulated endpoints: the fields of the Kafka requests that matter here.</summary>
internal abstract record SimMessage(int From, int To);

internal sealed record RegisterBroker(int From, int Incarnation, KafkaUuid IncarnationId) : SimMessage(From, SimNetwork.Controller);

internal sealed record RegisterAnswer(int To, int Incarnation, BrokerRegistrationOutcome Outcome) : SimMessage(SimNetwork.Controller, To);

internal sealed record Heartbeat(int From, int Incarnation, long BrokerEpoch, long MetadataOffset, IReadOnlyList<LeaderlessReplicaReport> Leaderless)
    : SimMessage(From, SimNetwork.Controller);

internal sealed record HeartbeatAnswer(int To, int Incarnation, BrokerHeartbeatOutcome Outcome) : SimMessage(SimNetwork.Controller, To);

/// <summary>The controller's latest image, as a broker's metadata fetch would bring it.</summary>
internal sealed record MetadataPush(int To, MetadataImage Image) : SimMessage(SimNetwork.Controller, To);

internal sealed record AlterIsr(int From, int Incarnation, long Id, AlterPartitionRequest Request) : SimMessage(From, SimNetwork.Controller);

internal sealed record AlterIsrAnswer(int To, int Incarnation, long Id, AlterPartitionOutcome Outcome) : SimMessage(SimNetwork.Controller, To);

internal sealed record ReplicaFetch(int From, int To, int Incarnation, long Id, int CurrentLeaderEpoch, long FetchOffset, int LastFetchedEpoch, long LogStartOffset)
    : SimMessage(From, To);

internal sealed record ReplicaFetchAnswer(int From, int To, int Incarnation, long Id, ErrorCode Error, byte[] Records, long HighWatermark, long LogStartOffset,
    long LogEndOffset, int DivergingEpoch, long DivergingEndOffset, bool Diverged) : SimMessage(From, To);

internal sealed record EpochQuery(int From, int To, int Incarnation, long Id, int CurrentLeaderEpoch, int LeaderEpoch) : SimMessage(From, To);

internal sealed record EpochAnswer(int From, int To, int Incarnation, long Id, ErrorCode Error, int LeaderEpoch, long EndOffset) : SimMessage(From, To);

/// <summary>Produce travels on a connection: once one of its messages is lost, it is broken and carries nothing more (TCP).</summary>
internal sealed record Produce(int From, int To, long Id, byte[] Batch, long Connection) : SimMessage(From, To);

internal sealed record ProduceAnswer(int From, int To, long Id, ErrorCode Error, long BaseOffset, long Connection) : SimMessage(From, To);
