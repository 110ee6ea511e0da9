namespace Gregor.Client;

/// <summary>An operation on several partitions (a commit, a committed-offsets lookup) failed for some; each one's outcome is in <see cref="Results"/>.</summary>
public class TopicPartitionOffsetException : KafkaException
{
    public TopicPartitionOffsetException(List<TopicPartitionOffsetError> results)
        : base(FirstError(results)) => Results = results;

    public List<TopicPartitionOffsetError> Results { get; }

    private static Error FirstError(List<TopicPartitionOffsetError> results)
    {
        ArgumentNullException.ThrowIfNull(results);
        var failed = results.FirstOrDefault(r => r.Error.IsError);
        return failed is null ? new Error(ErrorCode.Local_Partial, "some partitions failed")
            : new Error(failed.Error.Code, $"{failed.Topic} [{failed.Partition.Value}]: {failed.Error.Reason}");
    }
}
