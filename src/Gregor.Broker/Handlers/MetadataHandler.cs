using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Handlers;

/// <summary>
/// Metadata: brokers, cluster id, controller, and per topic its id and partitions, from the current image.
/// Unknown topics are created when both the request and auto.create.topics.enable allow it; the answer
/// for a topic created that way is LEADER_NOT_AVAILABLE, as Kafka's, and the client asks again.
/// </summary>
public sealed class MetadataHandler(IMetadataView view, ControllerForwarder controller, BrokerConfig config, ILogger<MetadataHandler> logger)
    : ApiHandler<MetadataRequest, MetadataResponse>
{
    private const short FirstTopicIdVersion = 12;

    public override ApiKey Api => ApiKey.Metadata;

    protected override async ValueTask<MetadataResponse?> HandleAsync(RequestContext context, MetadataRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        MetadataImage image = view.Current;
        var response = new MetadataResponse
        {
            ClusterId = image.ClusterId,
            ControllerId = ClientFacingController.Id(image, config),
            ClusterAuthorizedOperations = request.IncludeClusterAuthorizedOperations ? AuthorizedOperations.AllClusterOperations : AuthorizedOperations.NotRequested,
        };
        // Fenced brokers are registered but not serving: clients are not told about them, as Kafka's.
        foreach (var broker in image.Brokers.Values.Where(b => !b.Fenced).OrderBy(b => b.NodeId))
            response.Brokers.Add(new MetadataResponse.MetadataResponseBroker { NodeId = broker.NodeId, Host = broker.Host, Port = broker.Port, Rack = broker.Rack });

        // v0 has no null list: an empty one asks for every topic there.
        bool allTopics = request.Topics is null || (version == 0 && request.Topics.Count == 0);
        if (allTopics)
        {
            foreach (var topic in image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
                response.Topics.Add(Describe(topic, image, request.IncludeTopicAuthorizedOperations));
            return response;
        }

        // Topic ids and null names came with v12 (v10-11 carry the fields but Kafka refuses them there, and their
        // responses cannot hold a null name): such a request is invalid as a whole, as in Kafka.
        if (version < FirstTopicIdVersion && request.Topics!.Any(t => t.Name is null || !t.TopicId.IsZero))
        {
            foreach (var wanted in request.Topics!)
                response.Topics.Add(Error(wanted.Name ?? "", KafkaUuid.Zero, ErrorCode.InvalidRequest));
            return response;
        }

        bool mayCreate = config.AutoCreateTopicsEnable && (version < 4 || request.AllowAutoTopicCreation);
        var seenNames = new HashSet<string>(StringComparer.Ordinal);
        var seenIds = new HashSet<KafkaUuid>();
        var toCreate = new List<string>();
        foreach (var wanted in request.Topics!)
        {
            if (wanted.Name is null)
            {
                if (!seenIds.Add(wanted.TopicId)) continue;
                var byId = wanted.TopicId.IsZero ? null : image.Topic(wanted.TopicId);
                response.Topics.Add(byId is null
                    ? Error(null, wanted.TopicId, ErrorCode.UnknownTopicId)
                    : Describe(byId, image, request.IncludeTopicAuthorizedOperations));
                continue;
            }
            if (!seenNames.Add(wanted.Name)) continue;
            var topic = image.Topic(wanted.Name);
            if (topic is not null)
                response.Topics.Add(Describe(topic, image, request.IncludeTopicAuthorizedOperations));
            else if (TopicNameRules.Check(wanted.Name) is not null)
                response.Topics.Add(Error(wanted.Name, KafkaUuid.Zero, ErrorCode.InvalidTopicException));
            else if (mayCreate)
                toCreate.Add(wanted.Name);
            else
                response.Topics.Add(Error(wanted.Name, KafkaUuid.Zero, ErrorCode.UnknownTopicOrPartition));
        }

        if (toCreate.Count > 0)
        {
            var outcomes = await AutoCreateAsync(toCreate, cancellationToken).ConfigureAwait(false);
            foreach (var outcome in outcomes)
            {
                // Created now, or by someone else meanwhile: either way the client should ask again.
                // A controller that moved or could not be reached is a retry too, not an error of the topic.
                var code = outcome.Error is ErrorCode.None or ErrorCode.TopicAlreadyExists or ErrorCode.NotController ? ErrorCode.LeaderNotAvailable : outcome.Error;
                response.Topics.Add(Error(outcome.Name, KafkaUuid.Zero, code));
            }
        }
        return response;
    }

    private async Task<IReadOnlyList<CreateTopicOutcome>> AutoCreateAsync(List<string> names, CancellationToken cancellationToken)
    {
        // This broker's num.partitions and default.replication.factor, as Kafka's broker sends them, not the controller's.
        var topics = names.Select(n => new NewTopic(n, config.NumPartitions, config.DefaultReplicationFactor, [], [])).ToList();
        try
        {
            return await controller.CreateTopicsAsync(topics, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ControllerNotActiveException or IOException)
        {
            logger.LogWarning(e, "Auto-creating topics {Topics} failed", string.Join(", ", names));
            return names.Select(n => CreateTopicOutcome.Failed(n, ErrorCode.LeaderNotAvailable, e.Message)).ToList();
        }
    }

    private static MetadataResponse.MetadataResponseTopic Error(string? name, KafkaUuid id, ErrorCode error) => new()
    {
        ErrorCode = (short)error,
        Name = name,
        TopicId = id,
        IsInternal = name is not null && InternalTopics.IsInternal(name),
    };

    private static MetadataResponse.MetadataResponseTopic Describe(TopicImage topic, MetadataImage image, bool includeOperations)
    {
        var result = new MetadataResponse.MetadataResponseTopic
        {
            Name = topic.Name,
            TopicId = topic.Id,
            IsInternal = InternalTopics.IsInternal(topic.Name),
            TopicAuthorizedOperations = includeOperations ? AuthorizedOperations.AllTopicOperations : AuthorizedOperations.NotRequested,
        };
        foreach (var partition in topic.Partitions)
        {
            var offline = partition.Replicas.Where(r => !image.Brokers.TryGetValue(r, out var b) || b.Fenced).ToList();
            result.Partitions.Add(new MetadataResponse.MetadataResponsePartition
            {
                ErrorCode = (short)(partition.Leader < 0 ? ErrorCode.LeaderNotAvailable : ErrorCode.None),
                PartitionIndex = partition.Partition,
                LeaderId = partition.Leader,
                LeaderEpoch = partition.LeaderEpoch,
                ReplicaNodes = [.. partition.Replicas],
                IsrNodes = [.. partition.Isr],
                OfflineReplicas = offline,
            });
        }
        return result;
    }
}
