namespace Gregor.Client.Admin;

/// <summary>The outcome of one topic of CreateTopics.</summary>
public class CreateTopicReport
{
    public string Topic { get; set; } = "";

    public Error Error { get; set; } = new(ErrorCode.NoError);
}

public class DeleteTopicReport
{
    public string Topic { get; set; } = "";

    public Error Error { get; set; } = new(ErrorCode.NoError);
}

public class CreatePartitionsReport
{
    public string Topic { get; set; } = "";

    public Error Error { get; set; } = new(ErrorCode.NoError);
}

public class AlterConfigsReport
{
    public ConfigResource ConfigResource { get; set; } = new();

    public Error Error { get; set; } = new(ErrorCode.NoError);
}

public class IncrementalAlterConfigsReport : AlterConfigsReport;

/// <summary>An admin operation failed for at least one item; <see cref="Results"/> has every item's outcome.</summary>
public class CreateTopicsException(List<CreateTopicReport> results)
    : KafkaException(FirstError(results.Select(r => r.Error)))
{
    public List<CreateTopicReport> Results { get; } = results;

    internal static Error FirstError(IEnumerable<Error> errors) =>
        errors.FirstOrDefault(e => e.IsError) is { } first ? new Error(first.Code, "An error occurred creating topics: " + first.Reason) : new Error(ErrorCode.NoError);
}

public class DeleteTopicsException(List<DeleteTopicReport> results)
    : KafkaException(CreateTopicsException.FirstError(results.Select(r => r.Error)))
{
    public List<DeleteTopicReport> Results { get; } = results;
}

public class CreatePartitionsException(List<CreatePartitionsReport> results)
    : KafkaException(CreateTopicsException.FirstError(results.Select(r => r.Error)))
{
    public List<CreatePartitionsReport> Results { get; } = results;
}

public class AlterConfigsException(List<AlterConfigsReport> results)
    : KafkaException(CreateTopicsException.FirstError(results.Select(r => r.Error)))
{
    public List<AlterConfigsReport> Results { get; } = results;
}

public class IncrementalAlterConfigsException(List<IncrementalAlterConfigsReport> results)
    : KafkaException(CreateTopicsException.FirstError(results.Select(r => r.Error)))
{
    public List<IncrementalAlterConfigsReport> Results { get; } = results;
}

public class DescribeConfigsException(List<DescribeConfigsReport> results)
    : KafkaException(CreateTopicsException.FirstError(results.Select(r => r.Error)))
{
    public List<DescribeConfigsReport> Results { get; } = results;
}

public class ListOffsetsException(List<ListOffsetsResultInfo> results)
    : KafkaException(CreateTopicsException.FirstError(results.Select(r => r.TopicPartitionOffsetError.Error)))
{
    public List<ListOffsetsResultInfo> Results { get; } = results;
}
