using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata;
using Gregor.Metadata.Configs;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using System.Collections.Immutable;

namespace Gregor.Broker.Handlers;

/// <summary>
/// CreateTopics through the controller. v5+ answers a created (or validated) topic with its partition
/// count, replication factor and resolved configs; v7+ with its topic id.
/// </summary>
/// <remarks>Advertises v2-7 rather than the schema's v0-7: Kafka 4 removed v0-1 (KIP-896) and no current client sends them.</remarks>
public sealed class CreateTopicsHandler(QuorumController controller, ControllerForwarder forwarder, IMetadataView view, BrokerConfig config)
    : ApiHandler<CreateTopicsRequest, CreateTopicsResponse>
{
    public override ApiKey Api => ApiKey.CreateTopics;

    public override short LowestVersion => 2;

    protected override async ValueTask<CreateTopicsResponse?> HandleAsync(RequestContext context, CreateTopicsRequest request, CancellationToken cancellationToken)
    {
        // A broker whose controller is not the active one passes the request on (it is handled here if none answers).
        if (forwarder.ShouldForward(context)
            && await forwarder.TryForwardAsync<CreateTopicsRequest, CreateTopicsResponse>(request, context.ApiVersion, cancellationToken).ConfigureAwait(false) is { } forwarded)
            return forwarded;
        var response = new CreateTopicsResponse();
        var counts = request.Topics.GroupBy(t => t.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var wanted = new List<NewTopic>();
        foreach (var topic in request.Topics)
        {
            if (counts[topic.Name] > 1) continue;
            wanted.Add(new NewTopic(topic.Name, topic.NumPartitions, topic.ReplicationFactor,
                topic.Assignments.Select(a => new PartitionAssignment(a.PartitionIndex, a.BrokerIds)).ToList(),
                topic.Configs.Select(c => new KeyValuePair<string, string?>(c.Name, c.Value)).ToList()));
        }

        IReadOnlyList<CreateTopicOutcome> outcomes;
        try
        {
            outcomes = await controller.CreateTopicsAsync(wanted, request.ValidateOnly, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            outcomes = wanted.Select(t => CreateTopicOutcome.Failed(t.Name, ControllerFailures.ErrorFor(e), e.Message)).ToList();
        }

        var byName = outcomes.ToDictionary(o => o.Name, StringComparer.Ordinal);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        var image = view.Current;
        foreach (var topic in request.Topics)
        {
            if (!reported.Add(topic.Name)) continue;
            if (counts[topic.Name] > 1)
            {
                response.Topics.Add(Failed(topic.Name, ErrorCode.InvalidRequest, "Found multiple entries for this topic."));
                continue;
            }
            var outcome = byName[topic.Name];
            if (outcome.Error != ErrorCode.None)
            {
                response.Topics.Add(Failed(topic.Name, outcome.Error, outcome.Message));
                continue;
            }
            response.Topics.Add(new CreateTopicsResponse.CreatableTopicResult
            {
                Name = topic.Name,
                TopicId = outcome.TopicId,
                NumPartitions = outcome.NumPartitions,
                ReplicationFactor = outcome.ReplicationFactor,
                Configs = DescribeConfigs(image, topic, outcome),
            });
        }
        return response;
    }

    private List<CreateTopicsResponse.CreatableTopicConfigs> DescribeConfigs(MetadataImage image, CreateTopicsRequest.CreatableTopic topic, CreateTopicOutcome outcome)
    {
        // Describe the topic as created (or as it would be, for validate_only), whether or not it is in the image yet.
        var overrides = topic.Configs.Where(c => c.Value is not null)
            .ToImmutableDictionary(c => c.Name, c => c.Value!, StringComparer.Ordinal);
        var asCreated = new TopicImage(topic.Name, outcome.TopicId, [], overrides);
        return ConfigDescriber.DescribeTopic(image, asCreated, config.NodeId, StaticBrokerConfigs.Of(config))
            .Select(c => new CreateTopicsResponse.CreatableTopicConfigs
            {
                Name = c.Name,
                Value = c.Value,
                ReadOnly = c.ReadOnly,
                ConfigSource = (sbyte)c.Source,
                IsSensitive = c.IsSensitive,
            })
            .ToList();
    }

    private static CreateTopicsResponse.CreatableTopicResult Failed(string name, ErrorCode error, string? message) => new()
    {
        Name = name,
        ErrorCode = (short)error,
        ErrorMessage = message,
        NumPartitions = -1,
        ReplicationFactor = -1,
        Configs = null,
    };
}
