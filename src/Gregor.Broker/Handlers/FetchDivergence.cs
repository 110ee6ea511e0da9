using Gregor.Protocol.Messages;
using Gregor.Storage;
using LogEpochEnd = Gregor.Storage.EpochEndOffset;

namespace Gregor.Broker.Handlers;

/// <summary>
/// KIP-320/595 truncation detection inside Fetch (v12+): a fetcher that says which epoch its last fetched batch had
/// learns, instead of records, where that epoch ends in the leader's log when its own log has diverged from it — the
/// epoch is unknown here (a smaller one answers) or ends before the fetch offset — and truncates there. Kafka's
/// Partition.readRecords makes the same check.
/// </summary>
internal static class FetchDivergence
{
    public const short FirstVersion = 12;

    /// <summary>
    /// When <paramref name="request"/> names a last fetched epoch and the log diverges from it, fills
    /// <paramref name="data"/> with the diverging epoch and no records and returns true. Throws
    /// <see cref="OffsetOutOfRangeException"/> when the epoch's end cannot be determined or the fetch offset is below
    /// the log start, as Kafka answers OFFSET_OUT_OF_RANGE then.
    /// </summary>
    public static bool Answer(PartitionLog log, FetchRequest.FetchPartition request, FetchResponse.PartitionData data)
    {
        data.DivergingEpoch = null;
        int lastFetchedEpoch = request.LastFetchedEpoch;
        if (lastFetchedEpoch < 0)
            return false;
        long highWatermark = log.HighWatermark, logStartOffset = log.LogStartOffset;
        LogEpochEnd end = log.EndOffsetForEpoch(lastFetchedEpoch);
        if (end.IsUndefined || end.Epoch == LogEpochEnd.UndefinedEpoch)
            throw new OffsetOutOfRangeException($"The end of the last fetched epoch {lastFetchedEpoch} cannot be determined from this log.");
        if (request.FetchOffset < logStartOffset)
            throw new OffsetOutOfRangeException($"Offset {request.FetchOffset} is below the log start offset {logStartOffset}.");
        if (end.Epoch >= lastFetchedEpoch && end.EndOffset >= request.FetchOffset)
            return false;
        data.ErrorCode = 0;
        data.Records = ReadOnlyMemory<byte>.Empty;
        data.HighWatermark = highWatermark;
        data.LastStableOffset = highWatermark;
        data.LogStartOffset = logStartOffset;
        data.DivergingEpoch = new FetchResponse.EpochEndOffset { Epoch = end.Epoch, EndOffset = end.EndOffset };
        return true;
    }
}
