using System.Collections.Immutable;
using Gregor.Metadata;
using Gregor.Protocol.Primitives;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>A metadata view the test drives: it publishes hand-built images to the subscribers, as the metadata log would.</summary>
internal sealed class TestMetadataView : IMetadataView
{
    public const int NodeId = 1;
    private readonly List<Action<MetadataImage, MetadataImage>> _subscribers = [];
    private long _offset;

    public MetadataImage Current { get; private set; } = Empty();

    public void Subscribe(Action<MetadataImage, MetadataImage> onPublished) => _subscribers.Add(onPublished);

    public static MetadataImage Empty() => new(-1, "test-cluster", NodeId,
        ImmutableDictionary<int, BrokerRegistration>.Empty.Add(NodeId, new BrokerRegistration(NodeId, "127.0.0.1", 9092, null)),
        ImmutableDictionary<string, TopicImage>.Empty, ImmutableDictionary<KafkaUuid, TopicImage>.Empty, ImmutableDictionary<string, string>.Empty)
    {
        // One block of producer ids handed out (ids below it were issued; the tests' idempotent producers use them).
        NextProducerId = IssuedProducerIdsEnd,
    };

    /// <summary>The first producer id the cluster has not issued.</summary>
    public const long IssuedProducerIdsEnd = 1000;

    public void Publish(MetadataImage next)
    {
        MetadataImage previous = Current;
        Current = next;
        foreach (var subscriber in _subscribers)
            subscriber(previous, next);
    }

    /// <summary>Adds or replaces a topic led by this node, with every partition on this node alone.</summary>
    public TopicImage CreateTopic(string name, int partitions = 1, IReadOnlyDictionary<string, string>? configs = null, ImmutableArray<int>? isr = null)
    {
        var topic = new TopicImage(name, KafkaUuid.NewRandom(Random.Shared),
            [.. Enumerable.Range(0, partitions).Select(p => new PartitionImage(p, NodeId, 3, 1, [NodeId], isr ?? [NodeId]))],
            (configs ?? new Dictionary<string, string>()).ToImmutableDictionary());
        PublishTopic(topic);
        return topic;
    }

    public void PublishTopic(TopicImage topic)
    {
        MetadataImage image = Current;
        var byId = image.TopicsById;
        if (image.Topic(topic.Name) is { } old)
            byId = byId.Remove(old.Id);
        Publish(image with
        {
            Offset = ++_offset,
            TopicsByName = image.TopicsByName.SetItem(topic.Name, topic),
            TopicsById = byId.SetItem(topic.Id, topic),
        });
    }

    public void SetConfigs(string topic, IReadOnlyDictionary<string, string> configs) =>
        PublishTopic(Current.Topic(topic)! with { Configs = configs.ToImmutableDictionary() });

    public void DeleteTopic(string name)
    {
        MetadataImage image = Current;
        TopicImage topic = image.Topic(name)!;
        Publish(image with
        {
            Offset = ++_offset,
            TopicsByName = image.TopicsByName.Remove(name),
            TopicsById = image.TopicsById.Remove(topic.Id),
        });
    }
}
