using Gregor.Protocol.Records;

namespace Gregor.Client.Consumer;

/// <summary>
/// For read_committed: the aborted transactions a Fetch response listed for one partition (producer id and first
/// offset), applied to its batches in offset order as Kafka's consumers do. A transaction becomes active once the
/// batches reach its first offset; a transactional batch of an active producer is skipped; the producer's abort
/// marker ends it.
/// </summary>
internal sealed class AbortedTransactions
{
    private readonly (long ProducerId, long FirstOffset)[] _byFirstOffset;
    private readonly HashSet<long> _active = [];
    private int _next;

    public AbortedTransactions(IEnumerable<(long ProducerId, long FirstOffset)> aborted)
    {
        _byFirstOffset = [.. aborted.OrderBy(a => a.FirstOffset)];
    }

    /// <summary>Whether a batch must be skipped; call for every batch of the partition, in order.</summary>
    public bool Skips(scoped in RecordBatch batch, ReadOnlySpan<byte> firstRecordKey)
    {
        if (!batch.HasProducerId) return false;
        while (_next < _byFirstOffset.Length && _byFirstOffset[_next].FirstOffset <= batch.LastOffset)
            _active.Add(_byFirstOffset[_next++].ProducerId);
        if (batch.IsControl)
        {
            if (ControlRecord.TryReadKey(firstRecordKey, out _, out var type) && type == ControlRecordType.Abort)
                _active.Remove(batch.ProducerId);
            return true;
        }
        return batch.IsTransactional && _active.Contains(batch.ProducerId);
    }
}
