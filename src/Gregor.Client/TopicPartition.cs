namespace Gregor.Client;

/// <summary>A topic and a partition of it.</summary>
public sealed class TopicPartition : IEquatable<TopicPartition>, IComparable<TopicPartition>
{
    public TopicPartition(string topic, Partition partition)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Topic = topic;
        Partition = partition;
    }

    public string Topic { get; }

    public Partition Partition { get; }

    public bool Equals(TopicPartition? other) =>
        other is not null && Topic == other.Topic && Partition == other.Partition;

    public override bool Equals(object? obj) => Equals(obj as TopicPartition);

    public override int GetHashCode() => HashCode.Combine(Topic, Partition.Value);

    public int CompareTo(TopicPartition? other)
    {
        if (other is null) return 1;
        int byTopic = string.CompareOrdinal(Topic, other.Topic);
        return byTopic != 0 ? byTopic : Partition.Value.CompareTo(other.Partition.Value);
    }

    public static bool operator ==(TopicPartition? a, TopicPartition? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(TopicPartition? a, TopicPartition? b) => !(a == b);

    public override string ToString() => $"{Topic} {Partition}";
}

/// <summary>A topic, a partition and an offset in it, with the leader epoch of the record there when known.</summary>
public sealed class TopicPartitionOffset : IEquatable<TopicPartitionOffset>
{
    public TopicPartitionOffset(TopicPartition tp, Offset offset)
        : this(tp, offset, null)
    {
    }

    public TopicPartitionOffset(TopicPartition tp, Offset offset, int? leaderEpoch)
        : this(tp?.Topic ?? throw new ArgumentNullException(nameof(tp)), tp.Partition, offset, leaderEpoch)
    {
    }

    public TopicPartitionOffset(string topic, Partition partition, Offset offset)
        : this(topic, partition, offset, null)
    {
    }

    public TopicPartitionOffset(string topic, Partition partition, Offset offset, int? leaderEpoch)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Topic = topic;
        Partition = partition;
        Offset = offset;
        LeaderEpoch = leaderEpoch;
    }

    public string Topic { get; }

    public Partition Partition { get; }

    public Offset Offset { get; }

    /// <summary>The partition leader epoch of the record at (or before) the offset; null when unknown. Not part of equality.</summary>
    public int? LeaderEpoch { get; }

    public TopicPartition TopicPartition => new(Topic, Partition);

    public bool Equals(TopicPartitionOffset? other) =>
        other is not null && Topic == other.Topic && Partition == other.Partition && Offset == other.Offset;

    public override bool Equals(object? obj) => Equals(obj as TopicPartitionOffset);

    public override int GetHashCode() => HashCode.Combine(Topic, Partition.Value, Offset.Value);

    public static bool operator ==(TopicPartitionOffset? a, TopicPartitionOffset? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(TopicPartitionOffset? a, TopicPartitionOffset? b) => !(a == b);

    public override string ToString() => $"{Topic} {Partition} @{Offset}";
}

/// <summary>A topic, a partition and a timestamp (for looking offsets up by time).</summary>
public sealed class TopicPartitionTimestamp : IEquatable<TopicPartitionTimestamp>
{
    public TopicPartitionTimestamp(TopicPartition tp, Timestamp timestamp)
        : this(tp?.Topic ?? throw new ArgumentNullException(nameof(tp)), tp.Partition, timestamp)
    {
    }

    public TopicPartitionTimestamp(string topic, Partition partition, Timestamp timestamp)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Topic = topic;
        Partition = partition;
        Timestamp = timestamp;
    }

    public string Topic { get; }

    public Partition Partition { get; }

    public Timestamp Timestamp { get; }

    public TopicPartition TopicPartition => new(Topic, Partition);

    public bool Equals(TopicPartitionTimestamp? other) =>
        other is not null && Topic == other.Topic && Partition == other.Partition && Timestamp == other.Timestamp;

    public override bool Equals(object? obj) => Equals(obj as TopicPartitionTimestamp);

    public override int GetHashCode() => HashCode.Combine(Topic, Partition.Value, Timestamp);

    public static bool operator ==(TopicPartitionTimestamp? a, TopicPartitionTimestamp? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(TopicPartitionTimestamp? a, TopicPartitionTimestamp? b) => !(a == b);

    public override string ToString() => $"{Topic} {Partition} @{Timestamp}";
}
