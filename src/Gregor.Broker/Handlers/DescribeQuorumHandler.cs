using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Raft;

namespace Gregor.Broker.Handlers;

/// <summary>
/// DescribeQuorum (what kafka-metadata-quorum describe asks): the metadata quorum's leader, epoch and high watermark,
/// and each voter's and observer's log end offset, answered as Kafka's Raft client answers it. Only the metadata
/// partition, <c>__cluster_metadata</c> 0, can be asked for, alone: any other request gets
/// UNKNOWN_TOPIC_OR_PARTITION on every partition it names. A node that does not lead the quorum answers
/// NOT_LEADER_OR_FOLLOWER on the metadata partition. v1 adds when each replica last fetched and was last caught up
/// (Unix epoch milliseconds, −1 unknown); v2 the voters' endpoints.
/// </summary>
public sealed class DescribeQuorumHandler(IQuorumStatus quorum, BrokerConfig config, ControllerForwarder forwarder) : ApiHandler<DescribeQuorumRequest, DescribeQuorumResponse>
{
    public const string MetadataTopic = "__cluster_metadata";

    public const int MetadataPartition = 0;

    public override ApiKey Api => ApiKey.DescribeQuorum;

    protected override async ValueTask<DescribeQuorumResponse?> HandleAsync(RequestContext context, DescribeQuorumRequest request, CancellationToken cancellationToken)
    {
        // Only the leader knows every member's progress: a broker asks the active controller, as Kafka's brokers do.
        if (forwarder.ShouldForward(context)
            && await forwarder.TryForwardAsync<DescribeQuorumRequest, DescribeQuorumResponse>(request, context.ApiVersion, cancellationToken).ConfigureAwait(false) is { } forwarded)
            return forwarded;
        return Describe(context, request);
    }

    private DescribeQuorumResponse Describe(RequestContext context, DescribeQuorumRequest request)
    {
        bool asksForTheMetadataPartition = request.Topics is [{ TopicName: MetadataTopic, Partitions: [{ PartitionIndex: MetadataPartition }] }];
        if (!asksForTheMetadataPartition) return UnknownPartitions(request);

        if (quorum.Describe() is not { } described)
        {
            var refused = Partition(ErrorCode.NotLeaderOrFollower, "this node does not lead the metadata quorum");
            refused.LeaderId = -1;
            refused.LeaderEpoch = -1;
            refused.HighWatermark = -1;
            return MetadataPartitionResponse(refused);
        }

        var partition = Partition(ErrorCode.None, null);
        partition.LeaderId = described.LeaderId;
        partition.LeaderEpoch = described.LeaderEpoch;
        partition.HighWatermark = described.HighWatermark;
        partition.CurrentVoters = [.. described.Voters.Select(Replica)];
        partition.Observers = [.. described.Observers.Select(Replica)];
        var response = MetadataPartitionResponse(partition);
        // Nodes is a v2 field; it is left empty below v2, where it is not written.
        if (context.ApiVersion >= 2)
            response.Nodes = [.. described.Voters.Select(v => new DescribeQuorumResponse.Node { NodeId = v.ReplicaId, Listeners = [.. VoterListeners(v.ReplicaId)] })];
        return response;
    }

    private static DescribeQuorumResponse.PartitionData Partition(ErrorCode error, string? message) =>
        new() { PartitionIndex = MetadataPartition, ErrorCode = (short)error, ErrorMessage = message };

    private static DescribeQuorumResponse MetadataPartitionResponse(DescribeQuorumResponse.PartitionData partition) => new()
    {
        Topics = [new DescribeQuorumResponse.TopicData { TopicName = MetadataTopic, Partitions = [partition] }],
    };

    private static DescribeQuorumResponse UnknownPartitions(DescribeQuorumRequest request) => new()
    {
        Topics = [.. request.Topics.Select(t => new DescribeQuorumResponse.TopicData
        {
            TopicName = t.TopicName,
            Partitions = [.. t.Partitions.Select(p => new DescribeQuorumResponse.PartitionData
            {
                PartitionIndex = p.PartitionIndex,
                ErrorCode = (short)ErrorCode.UnknownTopicOrPartition,
                ErrorMessage = $"only {MetadataTopic} partition {MetadataPartition} has a quorum to describe, asked alone",
                LeaderId = -1,
                LeaderEpoch = -1,
                HighWatermark = -1,
            })],
        })],
    };

    // The times are Unix epoch milliseconds already (IQuorumStatus); v0 does not write them.
    private static DescribeQuorumResponse.ReplicaState Replica(ReplicaProgress replica) => new()
    {
        ReplicaId = replica.ReplicaId,
        LogEndOffset = replica.EndOffset,
        LastFetchTimestamp = replica.LastFetchTimeMs,
        LastCaughtUpTimestamp = replica.LastCaughtUpTimeMs,
    };

    /// <summary>
    /// Where a voter is reached. In a static quorum (<c>controller.quorum.voters</c>) it is its entry there, under the
    /// first controller listener's name, as Kafka reports a static voter; Gregor's implicit single node has no controller
    /// listener, so it is this node's advertised listeners (the quorum is this node).
    /// </summary>
    private IEnumerable<DescribeQuorumResponse.Listener> VoterListeners(int voterId)
    {
        if (config.Quorum.Voters.FirstOrDefault(v => v.Id == voterId) is { } voter)
        {
            string name = config.Quorum.ControllerListenerNames.Count > 0 ? config.Quorum.ControllerListenerNames[0] : "CONTROLLER";
            return [new DescribeQuorumResponse.Listener { Name = name, Host = voter.Host, Port = (ushort)voter.Port }];
        }
        if (voterId != config.NodeId) return [];
        return ControlPlaneHost.AdvertisedEndpoints(config)
            .Select(e => new DescribeQuorumResponse.Listener { Name = e.ListenerName, Host = e.Host, Port = (ushort)e.Port });
    }
}
