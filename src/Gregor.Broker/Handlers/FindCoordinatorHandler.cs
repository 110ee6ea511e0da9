using Gregor.Broker.Dispatch;
using Gregor.Broker.Groups;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>
/// FindCoordinator, v0 to v6 (v4+ looks up a batch of keys). A group's coordinator is the leader of its
/// <c>__consumer_offsets</c> partition; the topic is created on the first lookup. Transactions are not
/// implemented, so a transactional id gets COORDINATOR_NOT_AVAILABLE, as from a Kafka whose transaction
/// state topic cannot be created.
/// </summary>
/// <remarks>Advertised from v0 although Kafka 4 starts at v1: librdkafka turns on LZ4 only when FindCoordinator v0 is advertised.</remarks>
public sealed class FindCoordinatorHandler(IMetadataView view, OffsetsTopicCreator offsetsTopic) : ApiHandler<FindCoordinatorRequest, FindCoordinatorResponse>
{
    private const sbyte GroupKeyType = 0;
    private const sbyte TransactionKeyType = 1;
    private const short FirstBatchedVersion = 4;

    public override ApiKey Api => ApiKey.FindCoordinator;

    protected override async ValueTask<FindCoordinatorResponse?> HandleAsync(RequestContext context, FindCoordinatorRequest request, CancellationToken cancellationToken)
    {
        var response = new FindCoordinatorResponse();
        sbyte keyType = context.ApiVersion >= 1 ? request.KeyType : GroupKeyType;
        if (context.ApiVersion < FirstBatchedVersion)
        {
            Answer found = await FindAsync(keyType, request.Key, cancellationToken).ConfigureAwait(false);
            response.ErrorCode = (short)found.Error;
            response.ErrorMessage = found.Message;
            response.NodeId = found.NodeId;
            response.Host = found.Host;
            response.Port = found.Port;
            return response;
        }
        foreach (string key in request.CoordinatorKeys)
        {
            Answer found = await FindAsync(keyType, key, cancellationToken).ConfigureAwait(false);
            response.Coordinators.Add(new FindCoordinatorResponse.Coordinator
            {
                Key = key,
                ErrorCode = (short)found.Error,
                ErrorMessage = found.Message,
                NodeId = found.NodeId,
                Host = found.Host,
                Port = found.Port,
            });
        }
        return response;
    }

    private async ValueTask<Answer> FindAsync(sbyte keyType, string key, CancellationToken cancellationToken)
    {
        if (keyType == TransactionKeyType)
            return Answer.Failed(ErrorCode.CoordinatorNotAvailable, "Transactions are not supported by this broker.");
        if (keyType != GroupKeyType)
            return Answer.Failed(ErrorCode.InvalidRequest, $"Unknown coordinator key type {keyType}.");
        ErrorCode created = await offsetsTopic.EnsureExistsAsync(cancellationToken).ConfigureAwait(false);
        if (created != ErrorCode.None)
            return Answer.Failed(created, "The offsets topic is not available yet.");
        MetadataImage image = view.Current;
        TopicImage? topic = image.Topic(OffsetsTopic.Name);
        if (topic is null || topic.Partitions.Length == 0)
            return Answer.Failed(ErrorCode.CoordinatorNotAvailable, "The offsets topic is not available yet.");
        PartitionImage partition = topic.Partitions[OffsetsTopic.PartitionFor(key, topic.Partitions.Length)];
        if (partition.Leader < 0 || !image.Brokers.TryGetValue(partition.Leader, out BrokerRegistration? leader))
            return Answer.Failed(ErrorCode.CoordinatorNotAvailable, "The coordinator has no live leader.");
        return new Answer(ErrorCode.None, null, leader.NodeId, leader.Host, leader.Port);
    }

    private readonly record struct Answer(ErrorCode Error, string? Message, int NodeId, string Host, int Port)
    {
        public static Answer Failed(ErrorCode error, string message) => new(error, message, -1, "", -1);
    }
}
