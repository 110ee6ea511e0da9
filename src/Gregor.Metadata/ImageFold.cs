using System.Collections.Immutable;
using System.Globalization;
using Gregor.Metadata.Records;

namespace Gregor.Metadata;

/// <summary>
/// The fold of the metadata log: each record turns one image into the next. Pure — the same
/// records in the same order give the same image, which is what replay on restart relies on.
/// A record that contradicts the image (a partition of a topic that does not exist) is a
/// corrupt log and throws <see cref="MetadataLogCorruptException"/>.
/// </summary>
public static class ImageFold
{
    public static MetadataImage Apply(this MetadataImage image, IMetadataRecord record, long offset)
    {
        ArgumentNullException.ThrowIfNull(image);
        MetadataImage next = record switch
        {
            RegisterBrokerRecord r => BrokerFold.Register(image, r, offset),
            UnregisterBrokerRecord r => BrokerFold.Unregister(image, r),
            FenceBrokerRecord r => BrokerFold.Change(image, r, r.Id, r.Epoch, fenced: true, inControlledShutdown: null),
            UnfenceBrokerRecord r => BrokerFold.Change(image, r, r.Id, r.Epoch, fenced: false, inControlledShutdown: null),
            BrokerRegistrationChangeRecord r => BrokerFold.Change(image, r),
            PartitionChangeRecord r => ApplyPartitionChange(image, r),
            TopicRecord r => ApplyTopic(image, r),
            PartitionRecord r => ApplyPartition(image, r),
            ConfigRecord r => ApplyConfig(image, r),
            RemoveTopicRecord r => ApplyRemoveTopic(image, r),
            ProducerIdsRecord r => ApplyProducerIds(image, r),
            _ => throw new MetadataLogCorruptException($"no fold for metadata record type {record.RecordType}"),
        };
        return next with { Offset = offset };
    }

    public static MetadataImage ApplyAll(this MetadataImage image, IEnumerable<IMetadataRecord> records, long lastOffset)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records)
            image = image.Apply(record, lastOffset);
        return image;
    }

    private static MetadataImage ApplyTopic(MetadataImage image, TopicRecord r)
    {
        if (image.TopicsByName.ContainsKey(r.Name) || image.TopicsById.ContainsKey(r.TopicId))
            throw new MetadataLogCorruptException($"topic {r.Name} ({r.TopicId}) is created twice");
        var topic = new TopicImage(r.Name, r.TopicId, ImmutableArray<PartitionImage>.Empty,
            ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal));
        return WithTopic(image, topic);
    }

    private static MetadataImage ApplyPartition(MetadataImage image, PartitionRecord r)
    {
        if (!image.TopicsById.TryGetValue(r.TopicId, out var topic))
            throw new MetadataLogCorruptException($"partition {r.PartitionId} of unknown topic id {r.TopicId}");
        var partition = new PartitionImage(r.PartitionId, r.Leader, r.LeaderEpoch, r.PartitionEpoch,
            [.. r.Replicas], [.. r.Isr])
        {
            AddingReplicas = [.. r.AddingReplicas],
            RemovingReplicas = [.. r.RemovingReplicas],
            Elr = r.EligibleLeaderReplicas is null ? [] : [.. r.EligibleLeaderReplicas],
            LastKnownElr = r.LastKnownElr is null ? [] : [.. r.LastKnownElr],
            LeaderRecoveryState = RecoveryState(r.LeaderRecoveryState, topic.Name, r.PartitionId),
        };
        ImmutableArray<PartitionImage> partitions;
        if (r.PartitionId == topic.Partitions.Length) partitions = topic.Partitions.Add(partition);
        else if (r.PartitionId >= 0 && r.PartitionId < topic.Partitions.Length) partitions = topic.Partitions.SetItem(r.PartitionId, partition);
        else throw new MetadataLogCorruptException($"partition {r.PartitionId} of {topic.Name} leaves a gap after {topic.Partitions.Length} partitions");
        return WithTopic(image, topic with { Partitions = partitions });
    }

    /// <summary>
    /// A change to one partition, as Kafka merges it: a field left out keeps its value; a leader given (even the same
    /// one) bumps the leader epoch; every change bumps the partition epoch.
    /// </summary>
    private static MetadataImage ApplyPartitionChange(MetadataImage image, PartitionChangeRecord r)
    {
        if (!image.TopicsById.TryGetValue(r.TopicId, out var topic))
            throw new MetadataLogCorruptException($"change of partition {r.PartitionId} of unknown topic id {r.TopicId}");
        if (r.PartitionId < 0 || r.PartitionId >= topic.Partitions.Length)
            throw new MetadataLogCorruptException($"change of partition {r.PartitionId} of {topic.Name}, which has {topic.Partitions.Length} partitions");
        var current = topic.Partitions[r.PartitionId];
        bool leaderGiven = r.Leader != NoLeaderChange;
        var changed = current with
        {
            Replicas = r.Replicas is null ? current.Replicas : [.. r.Replicas],
            Isr = r.Isr is null ? current.Isr : [.. r.Isr],
            Leader = leaderGiven ? r.Leader : current.Leader,
            LeaderEpoch = leaderGiven ? current.LeaderEpoch + 1 : current.LeaderEpoch,
            PartitionEpoch = current.PartitionEpoch + 1,
            AddingReplicas = r.AddingReplicas is null ? current.AddingReplicas : [.. r.AddingReplicas],
            RemovingReplicas = r.RemovingReplicas is null ? current.RemovingReplicas : [.. r.RemovingReplicas],
            Elr = r.EligibleLeaderReplicas is null ? current.Elr : [.. r.EligibleLeaderReplicas],
            LastKnownElr = r.LastKnownElr is null ? current.LastKnownElr : [.. r.LastKnownElr],
            LeaderRecoveryState = r.LeaderRecoveryState == NoRecoveryStateChange
                ? current.LeaderRecoveryState
                : RecoveryState(r.LeaderRecoveryState, topic.Name, r.PartitionId),
        };
        return WithTopic(image, topic with { Partitions = topic.Partitions.SetItem(r.PartitionId, changed) });
    }

    /// <summary>A PartitionChangeRecord's leader of -2: the leader stays as it is.</summary>
    public const int NoLeaderChange = -2;

    /// <summary>A PartitionChangeRecord's leader recovery state of -1: it stays as it is.</summary>
    public const sbyte NoRecoveryStateChange = -1;

    private static LeaderRecoveryState RecoveryState(sbyte value, string topic, int partition) =>
        value is (sbyte)LeaderRecoveryState.Recovered or (sbyte)LeaderRecoveryState.Recovering
            ? (LeaderRecoveryState)value
            : throw new MetadataLogCorruptException($"partition {partition} of {topic} has leader recovery state {value}");

    private static MetadataImage ApplyConfig(MetadataImage image, ConfigRecord r)
    {
        switch ((ConfigResourceType)r.ResourceType)
        {
            case ConfigResourceType.Topic:
                if (!image.TopicsByName.TryGetValue(r.ResourceName, out var topic))
                    throw new MetadataLogCorruptException($"config {r.Name} of unknown topic {r.ResourceName}");
                return WithTopic(image, topic with { Configs = SetOrRemove(topic.Configs, r.Name, r.Value) });
            case ConfigResourceType.Broker when r.ResourceName.Length == 0:
                return image with { ClusterConfigs = SetOrRemove(image.ClusterConfigs, r.Name, r.Value) };
            case ConfigResourceType.Broker when int.TryParse(r.ResourceName, NumberStyles.None, CultureInfo.InvariantCulture, out int brokerId):
                var current = image.BrokerConfigs.TryGetValue(brokerId, out var c) ? c : ImmutableDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);
                var updated = SetOrRemove(current, r.Name, r.Value);
                return image with { BrokerConfigs = updated.IsEmpty ? image.BrokerConfigs.Remove(brokerId) : image.BrokerConfigs.SetItem(brokerId, updated) };
            default:
                throw new MetadataLogCorruptException($"config {r.Name} of resource type {r.ResourceType} '{r.ResourceName}'");
        }
    }

    private static MetadataImage ApplyRemoveTopic(MetadataImage image, RemoveTopicRecord r)
    {
        if (!image.TopicsById.TryGetValue(r.TopicId, out var topic))
            throw new MetadataLogCorruptException($"removal of unknown topic id {r.TopicId}");
        return image with { TopicsByName = image.TopicsByName.Remove(topic.Name), TopicsById = image.TopicsById.Remove(topic.Id) };
    }

    /// <summary>A block of producer ids was handed out: the next block starts at the record's id, which only grows.</summary>
    private static MetadataImage ApplyProducerIds(MetadataImage image, ProducerIdsRecord r)
    {
        if (r.NextProducerId <= image.NextProducerId)
            throw new MetadataLogCorruptException($"producer ids would go back from {image.NextProducerId} to {r.NextProducerId}");
        return image with { NextProducerId = r.NextProducerId };
    }

    internal static MetadataImage WithTopic(MetadataImage image, TopicImage topic) => image with
    {
        TopicsByName = image.TopicsByName.SetItem(topic.Name, topic),
        TopicsById = image.TopicsById.SetItem(topic.Id, topic),
    };

    private static ImmutableDictionary<string, string> SetOrRemove(ImmutableDictionary<string, string> configs, string name, string? value) =>
        value is null ? configs.Remove(name) : configs.SetItem(name, value);
}
