using System.Globalization;
using Gregor.Metadata.Records;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata;

/// <summary>
/// The records that rebuild an image: folded through <see cref="ImageFold"/> onto
/// <see cref="MetadataImage.Empty"/> (of the same cluster and controller) they give an equal image. What a
/// metadata snapshot holds. Only what the image keeps is written: a broker's registration is its id, rack and
/// one endpoint (the one clients are told about; the listener name, security protocol, incarnation and epoch are
/// not in the image), a topic its id, partitions in index order and config overrides, then the dynamic broker
/// configs, cluster-wide and per broker, and the next producer id (when a block was ever handed out; the broker that
/// took the last block is not kept, so the record names none: id and epoch -1). Deterministic: brokers by id, topics and configs by name (ordinal).
/// </summary>
public static class ImageRecords
{
    public static IEnumerable<IMetadataRecord> Of(MetadataImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        foreach (var broker in image.Brokers.Values.OrderBy(b => b.NodeId))
            yield return Broker(broker);
        foreach (var topic in image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            yield return new TopicRecord { Name = topic.Name, TopicId = topic.Id };
            foreach (var partition in topic.Partitions)
            {
                yield return new PartitionRecord
                {
                    TopicId = topic.Id,
                    PartitionId = partition.Partition,
                    Replicas = [.. partition.Replicas],
                    Isr = [.. partition.Isr],
                    RemovingReplicas = [.. partition.RemovingReplicas],
                    AddingReplicas = [.. partition.AddingReplicas],
                    Leader = partition.Leader,
                    LeaderRecoveryState = (sbyte)partition.LeaderRecoveryState,
                    LeaderEpoch = partition.LeaderEpoch,
                    PartitionEpoch = partition.PartitionEpoch,
                    EligibleLeaderReplicas = partition.Elr.IsDefaultOrEmpty ? null : [.. partition.Elr],
                    LastKnownElr = partition.LastKnownElr.IsDefaultOrEmpty ? null : [.. partition.LastKnownElr],
                };
            }
            foreach (var config in Sorted(topic.Configs))
                yield return Config(ConfigResourceType.Topic, topic.Name, config);
        }
        foreach (var config in Sorted(image.ClusterConfigs))
            yield return Config(ConfigResourceType.Broker, "", config);
        foreach (var (brokerId, configs) in image.BrokerConfigs.OrderBy(b => b.Key))
        {
            string name = brokerId.ToString(CultureInfo.InvariantCulture);
            foreach (var config in Sorted(configs))
                yield return Config(ConfigResourceType.Broker, name, config);
        }
        if (image.NextProducerId > 0)
            yield return new ProducerIdsRecord { BrokerId = -1, BrokerEpoch = -1, NextProducerId = image.NextProducerId };
    }

    private static RegisterBrokerRecord Broker(BrokerRegistration broker)
    {
        // Every listener with its name and protocol, and the lifecycle state, so a loaded snapshot fences and
        // unfences as the log did. An image built before listeners were kept has only the client endpoint (or, read as
        // host "" and port -1, none): write it back the same way.
        bool noEndpoint = broker.Host.Length == 0 && broker.Port == -1;
        var endpoints = !broker.Listeners.IsDefaultOrEmpty
            ? broker.Listeners.Select(l => new RegisterBrokerRecord.BrokerEndpoint { Name = l.Name, Host = l.Host, Port = l.Port, SecurityProtocol = l.SecurityProtocol }).ToList()
            : noEndpoint ? [] : [new RegisterBrokerRecord.BrokerEndpoint { Name = "", Host = broker.Host, Port = broker.Port, SecurityProtocol = 0 }];
        return new RegisterBrokerRecord
        {
            BrokerId = broker.NodeId,
            IncarnationId = broker.IncarnationId,
            BrokerEpoch = broker.Epoch,
            Rack = broker.Rack,
            Endpoints = endpoints,
            Fenced = broker.Fenced,
            InControlledShutdown = broker.InControlledShutdown,
        };
    }

    private static ConfigRecord Config(ConfigResourceType type, string resource, KeyValuePair<string, string> config) => new()
    {
        ResourceType = (sbyte)type,
        ResourceName = resource,
        Name = config.Key,
        Value = config.Value,
    };

    private static IOrderedEnumerable<KeyValuePair<string, string>> Sorted(IEnumerable<KeyValuePair<string, string>> configs) =>
        configs.OrderBy(c => c.Key, StringComparer.Ordinal);
}
