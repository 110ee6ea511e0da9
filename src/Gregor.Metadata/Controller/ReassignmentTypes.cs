using Gregor.Protocol;

namespace Gregor.Metadata.Controller;

/// <summary>One partition's reassignment: its target replicas, or null to cancel the one under way.</summary>
public sealed record PartitionReassignment(string Topic, int Partition, IReadOnlyList<int>? TargetReplicas);

/// <summary>A reassignment under way: every replica (targets first, then those being removed), and the ones being added and removed.</summary>
public sealed record OngoingReassignment(string Topic, int Partition, IReadOnlyList<int> Replicas, IReadOnlyList<int> Adding, IReadOnlyList<int> Removing);

/// <summary>A partition named by topic and index.</summary>
public readonly record struct TopicPartitionRef(string Topic, int Partition);
