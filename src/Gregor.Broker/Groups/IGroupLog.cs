using Gregor.Protocol;

namespace Gregor.Broker.Groups;

/// <summary>
/// Where the coordinator keeps its records: a partition of <c>__consumer_offsets</c> on the broker, a list in
/// memory in tests. Appends are synchronous and durable as any log append (the flush policy applies).
/// </summary>
public interface IGroupLog
{
    /// <summary>Appends the records to one partition as one batch. None once they are in the log; else why not.</summary>
    ErrorCode Append(int partition, IReadOnlyList<GroupLogRecord> records, long nowMs);

    /// <summary>Every record of the partition, oldest first (what compaction left of it).</summary>
    IEnumerable<GroupLogRecord> ReadAll(int partition);
}
