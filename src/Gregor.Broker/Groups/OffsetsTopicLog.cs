using Gregor.Broker.Replication;
using Gregor.Protocol;
using Gregor.Protocol.Records;
using Gregor.Storage;

namespace Gregor.Broker.Groups;

/// <summary>The coordinator's records in the broker's own <c>__consumer_offsets</c> partition logs.</summary>
public sealed class OffsetsTopicLog(ReplicaManager replicas) : IGroupLog
{
    private const short ProduceVersion = 9;
    private const int ReadChunkBytes = 1024 * 1024;

    public ErrorCode Append(int partition, IReadOnlyList<GroupLogRecord> records, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(records);
        HostedPartition? hosted = replicas.GetPartition(OffsetsTopic.Name, partition);
        if (hosted is null)
            return ErrorCode.NotLeaderOrFollower;
        using var builder = new RecordBatchBuilder();
        foreach (GroupLogRecord record in records)
            builder.Append(nowMs, record.Key, record.Value);
        byte[] batch = builder.Build().ToArray();
        PartitionAppendOutcome outcome = hosted.AppendAsLeader(batch, ProduceVersion, nowMs);
        return outcome.Error;
    }

    public IEnumerable<GroupLogRecord> ReadAll(int partition)
    {
        HostedPartition? hosted = replicas.GetPartition(OffsetsTopic.Name, partition);
        if (hosted is null)
            yield break;
        PartitionLog log = hosted.Log;
        long next = log.LogStartOffset;
        while (next < log.LogEndOffset)
        {
            List<GroupLogRecord> chunk;
            (chunk, long after) = ReadChunk(log, next);
            foreach (GroupLogRecord record in chunk)
                yield return record;
            if (after <= next)
                break;
            next = after;
        }
    }

    private static (List<GroupLogRecord> Records, long Next) ReadChunk(PartitionLog log, long from)
    {
        var records = new List<GroupLogRecord>();
        using LogReadResult read = log.Read(from, ReadChunkBytes);
        if (read.BatchCount == 0)
            return (records, from);
        foreach (ReadOnlySpan<byte> batch in new RecordBatchEnumerator(read.Records.Span))
        {
            var header = new RecordBatch(batch);
            if (header.IsControl)
                continue;
            RecordBatchValidationResult opened = RecordBatchReader.TryOpen(batch, out RecordBatchReader reader);
            if (!opened.IsValid)
                throw new InvalidDataException($"{log.Directory}: batch at {header.BaseOffset} cannot be read ({opened}).");
            using (reader)
            {
                while (reader.TryReadNext(out Record record))
                {
                    if (record.Offset < from || record.Key.IsNull)
                        continue;
                    records.Add(new GroupLogRecord(record.Key.Span.ToArray(), record.Value.ToArray()));
                }
            }
        }
        return (records, read.NextOffset);
    }
}
