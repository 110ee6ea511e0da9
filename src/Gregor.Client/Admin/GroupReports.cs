namespace Gregor.Client.Admin;

/// <summary>What ListGroups gave: the groups of the brokers that answered and the errors of those that did not.</summary>
public class ListConsumerGroupsReport
{
    public List<ConsumerGroupListing> Valid { get; set; } = [];

    public List<Error> Errors { get; set; } = [];
}

public class DescribeConsumerGroupsReport
{
    public List<ConsumerGroupDescription> ConsumerGroupDescriptions { get; set; } = [];
}

public class DeleteGroupReport
{
    public string Group { get; set; } = "";

    public Error Error { get; set; } = new(ErrorCode.NoError);
}

/// <summary>A group's outcome: a group-wide error, or each partition's.</summary>
public class ListConsumerGroupOffsetsReport
{
    public string Group { get; set; } = "";

    public List<TopicPartitionOffsetError> Partitions { get; set; } = [];

    public Error Error { get; set; } = new(ErrorCode.NoError);
}

public class AlterConsumerGroupOffsetsReport
{
    public string Group { get; set; } = "";

    public List<TopicPartitionOffsetError> Partitions { get; set; } = [];

    public Error Error { get; set; } = new(ErrorCode.NoError);
}

public class DeleteConsumerGroupOffsetsReport
{
    public string Group { get; set; } = "";

    public List<TopicPartitionOffsetError> Partitions { get; set; } = [];

    public Error Error { get; set; } = new(ErrorCode.NoError);
}

/// <summary>Some broker could not list its groups; <see cref="Results"/> has what the others listed.</summary>
public class ListConsumerGroupsException(ListConsumerGroupsReport results)
    : KafkaException(GroupErrors.First("listing consumer groups", results.Errors))
{
    public ListConsumerGroupsReport Results { get; } = results;
}

public class DescribeConsumerGroupsException(DescribeConsumerGroupsReport results)
    : KafkaException(GroupErrors.First("describing consumer groups", results.ConsumerGroupDescriptions.Select(d => d.Error)))
{
    public DescribeConsumerGroupsReport Results { get; } = results;
}

public class DeleteGroupsException(List<DeleteGroupReport> results)
    : KafkaException(GroupErrors.First("deleting groups", results.Select(r => r.Error)))
{
    public List<DeleteGroupReport> Results { get; } = results;
}

public class ListConsumerGroupOffsetsException(List<ListConsumerGroupOffsetsReport> results)
    : KafkaException(GroupErrors.First("listing consumer group offsets", results.SelectMany(GroupErrors.Of)))
{
    public List<ListConsumerGroupOffsetsReport> Results { get; } = results;
}

public class AlterConsumerGroupOffsetsException(List<AlterConsumerGroupOffsetsReport> results)
    : KafkaException(GroupErrors.First("altering consumer group offsets", results.SelectMany(GroupErrors.Of)))
{
    public List<AlterConsumerGroupOffsetsReport> Results { get; } = results;
}

public class DeleteConsumerGroupOffsetsException(DeleteConsumerGroupOffsetsReport result)
    : KafkaException(GroupErrors.First("deleting consumer group offsets", GroupErrors.Of(result)))
{
    public DeleteConsumerGroupOffsetsReport Result { get; } = result;
}

internal static class GroupErrors
{
    public static Error First(string doing, IEnumerable<Error> errors) =>
        errors.FirstOrDefault(e => e.IsError) is { } first ? new Error(first.Code, $"An error occurred {doing}: {first.Reason}") : new Error(ErrorCode.NoError);

    public static IEnumerable<Error> Of(ListConsumerGroupOffsetsReport r) => r.Partitions.Select(p => p.Error).Prepend(r.Error);

    public static IEnumerable<Error> Of(AlterConsumerGroupOffsetsReport r) => r.Partitions.Select(p => p.Error).Prepend(r.Error);

    public static IEnumerable<Error> Of(DeleteConsumerGroupOffsetsReport r) => r.Partitions.Select(p => p.Error).Prepend(r.Error);
}
