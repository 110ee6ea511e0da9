namespace Gregor.Client.Admin;

/// <summary>Which groups ListGroups returns: only those in these states (null or empty for all).</summary>
public class ListConsumerGroupsOptions : AdminOptions
{
    public IEnumerable<ConsumerGroupState>? MatchStates { get; set; }
}

public class DescribeConsumerGroupsOptions : AdminOptions;

public class DeleteGroupsOptions : AdminOptions;

public class ListConsumerGroupOffsetsOptions : AdminOptions
{
    /// <summary>Ask the coordinator to wait out pending transactional commits (OffsetFetch v7+).</summary>
    public bool RequireStableOffsets { get; set; }
}

public class AlterConsumerGroupOffsetsOptions : AdminOptions;

public class DeleteConsumerGroupOffsetsOptions : AdminOptions;
