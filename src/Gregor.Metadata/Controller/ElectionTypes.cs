using Gregor.Protocol;

namespace Gregor.Metadata.Controller;

/// <summary>ElectLeaders' election type: its wire values.</summary>
public enum ElectionType : sbyte
{
    /// <summary>Move leadership to the first replica (the preferred one) when it is in the ISR and active.</summary>
    Preferred = 0,

    /// <summary>Give a partition without a leader one: from the ISR if any member is active, else any active replica, losing what it lacks.</summary>
    Unclean = 1,
}

/// <summary>The partitions of one topic an election is asked for.</summary>
public sealed record ElectionTopic(string Topic, IReadOnlyList<int> Partitions);

/// <summary>One topic's election results.</summary>
public sealed record TopicElectionOutcome(string Topic, IReadOnlyList<PartitionElectionOutcome> Partitions);

/// <summary>One partition's election result: None when a leader was elected.</summary>
public sealed record PartitionElectionOutcome(int Partition, ErrorCode Error, string? Message);
