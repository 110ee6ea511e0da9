using System.Buffers.Binary;
using Gregor.Protocol.Records;

namespace Gregor.Storage.Tests;

/// <summary>Test batches from an idempotent producer: producer id, epoch and base sequence set, CRC recomputed.</summary>
internal static class ProducerBatches
{
    public static byte[] Of(long producerId, short epoch, int baseSequence, int count, long timestamp)
    {
        byte[] batch = TestBatches.Simple(count, timestamp);
        BinaryPrimitives.WriteInt64BigEndian(batch.AsSpan(RecordBatchHeader.ProducerIdOffset), producerId);
        BinaryPrimitives.WriteInt16BigEndian(batch.AsSpan(RecordBatchHeader.ProducerEpochOffset), epoch);
        BinaryPrimitives.WriteInt32BigEndian(batch.AsSpan(RecordBatchHeader.BaseSequenceOffset), baseSequence);
        BinaryPrimitives.WriteUInt32BigEndian(batch.AsSpan(RecordBatchHeader.CrcOffset), RecordBatchHeader.ComputeCrc(batch));
        return batch;
    }

    /// <summary>The producer's entry, read under the log's lock; null when the log does not know it.</summary>
    public static (short Epoch, int LastSequence, long LastOffset, int Batches)? State(PartitionLog log, long producerId) =>
        log.WithProducerState<(short, int, long, int)?>(state =>
            state.TryGet(producerId, out ProducerStateEntry entry) ? (entry.Epoch, entry.LastSequence, entry.LastDataOffset, entry.BatchCount) : null);

    public static string[] SnapshotFiles(string directory) =>
        [.. Directory.GetFiles(directory, "*" + ProducerSnapshotFile.Extension).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
}
