using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Groups;

/// <summary>
/// Creates <c>__consumer_offsets</c> through the controller the first time a coordinator is looked up, with
/// <c>offsets.topic.num.partitions</c> partitions of <c>offsets.topic.replication.factor</c> replicas placed by the
/// controller. As Kafka, while fewer brokers are registered and unfenced the controller refuses it
/// (INVALID_REPLICATION_FACTOR) and FindCoordinator answers COORDINATOR_NOT_AVAILABLE, which clients retry.
/// </summary>
public sealed class OffsetsTopicCreator(ControllerForwarder controller, IMetadataView view, BrokerConfig config, ILogger<OffsetsTopicCreator> logger)
{
    private readonly SemaphoreSlim _creating = new(1, 1);

    /// <summary>
    /// Makes sure the topic exists. Returns None when it does (or was just created), else the error a
    /// FindCoordinator caller should see (COORDINATOR_NOT_AVAILABLE: retry).
    /// </summary>
    public async ValueTask<ErrorCode> EnsureExistsAsync(CancellationToken cancellationToken)
    {
        if (view.Current.Topic(OffsetsTopic.Name) is not null)
            return ErrorCode.None;
        await _creating.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            MetadataImage image = view.Current;
            if (image.Topic(OffsetsTopic.Name) is not null)
                return ErrorCode.None;
            int brokers = image.Brokers.Count;
            if (brokers == 0)
                return ErrorCode.CoordinatorNotAvailable;
            GroupCoordinatorConfig groups = config.Groups;
            short replicationFactor = groups.OffsetsTopicReplicationFactor;
            var topic = new NewTopic(OffsetsTopic.Name, groups.OffsetsTopicNumPartitions, replicationFactor, [],
                OffsetsTopic.TopicConfigs(groups.OffsetsTopicSegmentBytes));
            IReadOnlyList<CreateTopicOutcome> outcomes = await controller.CreateTopicsAsync([topic], cancellationToken).ConfigureAwait(false);
            CreateTopicOutcome outcome = outcomes[0];
            if (outcome.Error is ErrorCode.None or ErrorCode.TopicAlreadyExists)
            {
                if (outcome.Error == ErrorCode.None)
                    logger.LogInformation("Created {Topic} with {Partitions} partitions, replication factor {ReplicationFactor}",
                        OffsetsTopic.Name, outcome.NumPartitions, outcome.ReplicationFactor);
                return ErrorCode.None;
            }
            logger.LogWarning("Could not create {Topic}: {Error} {Message}", OffsetsTopic.Name, outcome.Error, outcome.Message);
            return ErrorCode.CoordinatorNotAvailable;
        }
        catch (Exception e) when (e is ControllerNotActiveException or IOException or MetadataOperationTooLargeException)
        {
            logger.LogWarning("Could not create {Topic}: {Error}", OffsetsTopic.Name, e.Message);
            return ErrorCode.CoordinatorNotAvailable;
        }
        finally
        {
            _creating.Release();
        }
    }
}
