using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Gregor.Metadata.Records;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

/// <summary>Images for snapshot tests: one with some of everything, and a text of all an image holds to compare two.</summary>
internal static class ImageDescription
{
    /// <summary>Everything an image holds, in a fixed order, so two images compare field by field.</summary>
    public static string Describe(MetadataImage image, bool withOffset = true)
    {
        var text = new StringBuilder();
        if (withOffset) text.Append("offset ").Append(image.Offset).Append('\n');
        text.Append("cluster ").Append(image.ClusterId).Append(" controller ").Append(image.ControllerId).Append('\n');
        foreach (var b in image.Brokers.OrderBy(b => b.Key))
            text.Append(CultureInfo.InvariantCulture, $"broker {b.Key}: {b.Value.NodeId} {b.Value.Host}:{b.Value.Port} rack={b.Value.Rack ?? "<null>"}\n");
        Assert.Equal(image.TopicsByName.Count, image.TopicsById.Count);
        foreach (var t in image.TopicsByName.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            Assert.Same(t.Value, image.TopicsById[t.Value.Id]);
            text.Append(CultureInfo.InvariantCulture, $"topic {t.Key}: {t.Value.Name} {t.Value.Id}\n");
            foreach (var p in t.Value.Partitions)
                text.Append(CultureInfo.InvariantCulture, $"  p{p.Partition} leader {p.Leader} epoch {p.LeaderEpoch} partition epoch {p.PartitionEpoch} replicas [{string.Join(",", p.Replicas)}] isr [{string.Join(",", p.Isr)}] adding [{string.Join(",", p.AddingReplicas)}] removing [{string.Join(",", p.RemovingReplicas)}] elr [{string.Join(",", p.Elr)}] last known elr [{string.Join(",", p.LastKnownElr)}] {p.LeaderRecoveryState}\n");
            AppendConfigs(text, "  config", t.Value.Configs);
        }
        AppendConfigs(text, "cluster config", image.ClusterConfigs);
        foreach (var b in image.BrokerConfigs.OrderBy(b => b.Key))
            AppendConfigs(text, $"broker {b.Key} config", b.Value);
        text.Append("next producer id ").Append(image.NextProducerId).Append('\n');
        return text.ToString();
    }

    private static void AppendConfigs(StringBuilder text, string prefix, ImmutableDictionary<string, string> configs)
    {
        foreach (var c in configs.OrderBy(c => c.Key, StringComparer.Ordinal))
            text.Append(prefix).Append(' ').Append(c.Key).Append('=').Append(c.Value).Append('\n');
    }

    /// <summary>An image with some of everything: brokers with and without racks or endpoints, topics with moved leaders, shrunk ISRs and configs, cluster and broker configs.</summary>
    public static MetadataImage RichImage()
    {
        var random = new Random(11);
        var image = MetadataImage.Empty("cluster-x", 3);
        long offset = 0;
        image = image.Apply(new RegisterBrokerRecord { BrokerId = 1, Rack = "r1", Endpoints = [new() { Name = "PLAINTEXT", Host = "h1", Port = 9092 }] }, offset++);
        image = image.Apply(new RegisterBrokerRecord { BrokerId = 2, Rack = null, Endpoints = [new() { Name = "PLAINTEXT", Host = "h2", Port = 9093 }, new() { Name = "SSL", Host = "h2", Port = 9094 }] }, offset++);
        image = image.Apply(new RegisterBrokerRecord { BrokerId = 7, Rack = "", Endpoints = [] }, offset++);
        for (int t = 0; t < 40; t++)
        {
            var id = KafkaUuid.NewRandom(random);
            string name = "topic-" + t.ToString("D3", CultureInfo.InvariantCulture);
            image = image.Apply(new TopicRecord { Name = name, TopicId = id }, offset++);
            for (int p = 0; p < 1 + (t % 7); p++)
            {
                image = image.Apply(new PartitionRecord
                {
                    TopicId = id,
                    PartitionId = p,
                    Replicas = [1 + (p % 2), 2 - (p % 2), 7],
                    Isr = p % 3 == 0 ? [1 + (p % 2)] : [1 + (p % 2), 2 - (p % 2)],
                    Leader = p % 5 == 4 ? -1 : 1 + (p % 2),
                    LeaderEpoch = p * 3 + t,
                    PartitionEpoch = p + 2 * t,
                }, offset++);
            }
            if (t % 3 == 0)
                image = image.Apply(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Topic, ResourceName = name, Name = "retention.ms", Value = (t * 1000).ToString(CultureInfo.InvariantCulture) }, offset++);
            if (t % 4 == 0)
                image = image.Apply(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Topic, ResourceName = name, Name = "cleanup.policy", Value = "compact" }, offset++);
        }
        // A partition changed after creation, a removed topic and a removed config leave no trace but their result.
        var first = image.Topic("topic-005")!;
        image = image.Apply(new PartitionRecord { TopicId = first.Id, PartitionId = 1, Replicas = [2, 1], Isr = [2], Leader = 2, LeaderEpoch = 99, PartitionEpoch = 100 }, offset++);
        // One partition mid-reassignment, one with eligible leader replicas, one led uncleanly and still recovering.
        var second = image.Topic("topic-006")!;
        image = image.Apply(new PartitionChangeRecord { TopicId = second.Id, PartitionId = 0, Replicas = [1, 2, 7], AddingReplicas = [7], RemovingReplicas = [2] }, offset++);
        image = image.Apply(new PartitionChangeRecord { TopicId = second.Id, PartitionId = 1, Isr = [2], EligibleLeaderReplicas = [1], LastKnownElr = [7] }, offset++);
        image = image.Apply(new PartitionChangeRecord { TopicId = second.Id, PartitionId = 2, Leader = 7, Isr = [7], LeaderRecoveryState = (sbyte)LeaderRecoveryState.Recovering }, offset++);
        image = image.Apply(new RemoveTopicRecord { TopicId = image.Topic("topic-010")!.Id }, offset++);
        image = image.Apply(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Topic, ResourceName = "topic-012", Name = "retention.ms", Value = null }, offset++);
        image = image.Apply(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Broker, ResourceName = "", Name = "log.retention.hours", Value = "5" }, offset++);
        image = image.Apply(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Broker, ResourceName = "", Name = "message.max.bytes", Value = "2000000" }, offset++);
        image = image.Apply(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Broker, ResourceName = "2", Name = "log.cleaner.threads", Value = "3" }, offset++);
        image = image.Apply(new ConfigRecord { ResourceType = (sbyte)ConfigResourceType.Broker, ResourceName = "7", Name = "num.io.threads", Value = "9" }, offset++);
        image = image.Apply(new ProducerIdsRecord { BrokerId = 2, BrokerEpoch = 1, NextProducerId = 1000 }, offset++);
        image = image.Apply(new ProducerIdsRecord { BrokerId = 1, BrokerEpoch = 0, NextProducerId = 2000 }, offset++);
        return image;
    }
}
