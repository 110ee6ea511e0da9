namespace Gregor.Client.Consumer;

/// <summary>What the consume thread found next.</summary>
internal enum NextKind
{
    /// <summary>Nothing to return now.</summary>
    None,

    /// <summary>A record: its slot points into <see cref="ConsumerCore.Section"/>.</summary>
    Record,

    /// <summary>A partition reached its end (enable.partition.eof).</summary>
    PartitionEof,

    /// <summary>An error to throw.</summary>
    Error,
}

/// <summary>
/// The consume thread's side: it walks each partition's fetched records batch by batch, round-robin over the
/// partitions, and hands out one record at a time from the batch it decoded. Positions move only when a record
/// is handed out or a batch is passed over, and only if the partition's generation is still the one the batch
/// was decoded under (a seek from another thread wins).
/// </summary>
internal sealed partial class ConsumerCore
{
    private PartitionState? _current;
    private FetchedRecords? _currentFetched;
    private int _currentGeneration;
    private int _nextPartition;

    /// <summary>The records section the last <see cref="NextKind.Record"/> slot points into; valid until the next call.</summary>
    public ReadOnlySpan<byte> Section => _decoder.Section;

    public int CurrentLeaderEpoch => _decoder.LeaderEpoch;

    public TimestampType CurrentTimestampType => _decoder.TimestampType;

    /// <summary>The next thing for Consume to return. Only one thread may call it at a time.</summary>
    public NextKind TryNext(out RecordSlot slot, out PartitionState? partition, out int generation, out ConsumeError? error)
    {
        slot = default;
        partition = null;
        generation = 0;
        error = null;
        while (true)
        {
            lock (Gate)
            {
                if (_errors.TryDequeue(out error)) return NextKind.Error;
            }
            if (_current is { } current)
            {
                if (!CurrentStillValid())
                {
                    DropCurrentBatch();
                    continue;
                }
                if (_decoder.TryTake(out slot))
                {
                    partition = current;
                    generation = _currentGeneration;
                    return NextKind.Record;
                }
                lock (Gate)
                {
                    if (IsCurrent(current, _currentFetched!, _currentGeneration))
                    {
                        current.Position = Math.Max(current.Position, _decoder.LastOffset + 1);
                        _currentFetched!.ReadPosition = _decoder.NextPosition;
                    }
                }
                DropCurrentBatch();
                continue;
            }
            if (DecodeNextBatch()) continue;
            if (Settings.EnablePartitionEof && TryPartitionEof(out partition, out slot)) return NextKind.PartitionEof;
            return NextKind.None;
        }
    }

    /// <summary>Confirms a record was handed out: the position moves past it (and is stored, with enable.auto.offset.store).</summary>
    public bool Delivered(PartitionState partition, int generation, long offset, int leaderEpoch)
    {
        lock (Gate)
        {
            if (partition.Removed || partition.Generation != generation) return false;
            partition.Position = offset + 1;
            partition.PositionLeaderEpoch = leaderEpoch;
            partition.EofReported = false;
            if (Settings.EnableAutoOffsetStore)
            {
                partition.StoredOffset = offset + 1;
                partition.StoredLeaderEpoch = leaderEpoch;
                partition.StoredDirty = true;
            }
            return true;
        }
    }

    private bool CurrentStillValid()
    {
        lock (Gate) return IsCurrent(_current!, _currentFetched!, _currentGeneration) && !_current!.Paused;
    }

    private static bool IsCurrent(PartitionState partition, FetchedRecords fetched, int generation) =>
        !partition.Removed && partition.Generation == generation && partition.Buffered.TryPeek(out var head) && ReferenceEquals(head, fetched);

    /// <summary>Leaves the current batch; whatever of it was not taken is decoded again if the partition returns to it.</summary>
    private void DropCurrentBatch()
    {
        _decoder.Clear();
        _currentFetched?.Lease.Release();
        _current = null;
        _currentFetched = null;
    }

    /// <summary>Decodes the next batch of the next partition with fetched records; false when no partition has any.</summary>
    private bool DecodeNextBatch()
    {
        PartitionState? partition = null;
        FetchedRecords? fetched = null;
        int generation;
        long position;
        lock (Gate)
        {
            int count = _order.Count;
            for (int i = 0; i < count && partition is null; i++)
            {
                var candidate = _order[(_nextPartition + i) % count];
                if (candidate.Removed || candidate.Paused || candidate.Halted || !candidate.Buffered.TryPeek(out fetched)) continue;
                partition = candidate;
                _nextPartition = (_nextPartition + i + 1) % count;
            }
            if (partition is null) return false;
            fetched!.Lease.Retain(); // the records stay readable outside the lock even if a seek drops them meanwhile
            generation = partition.Generation;
            position = partition.Position;
        }
        var outcome = _decoder.Decode(fetched.Records, fetched.ReadPosition, position, fetched.Aborted);
        lock (Gate)
        {
            if (!IsCurrent(partition, fetched, generation))
            {
                _decoder.Clear();
                fetched.Lease.Release();
                return true;
            }
            switch (outcome)
            {
                case BatchOutcome.Records:
                    _current = partition;
                    _currentFetched = fetched;
                    _currentGeneration = generation;
                    return true; // keeps the retained lease until the batch is left
                case BatchOutcome.Skipped:
                    partition.Position = Math.Max(partition.Position, _decoder.LastOffset + 1);
                    fetched.ReadPosition = _decoder.NextPosition;
                    break;
                case BatchOutcome.End:
                    partition.Buffered.Dequeue();
                    fetched.Lease.Release(); // the partition's hold
                    WakeFetcher();
                    break;
                default:
                    // Fetch again from the position after a backoff: a CRC error from a bad transfer then heals,
                    // while a batch corrupt in the log keeps failing here, as in Kafka's consumer, until a seek.
                    partition.Restart();
                    partition.FetchPosition = partition.Position;
                    partition.NotBefore = After(Settings.RetryBackoff);
                    QueueConsumeError(partition.TopicPartition, partition.Position, _decoder.ErrorCode,
                        $"{partition.Topic} [{partition.Partition}]: {_decoder.ErrorReason}");
                    WakeFetcher();
                    break;
            }
            fetched.Lease.Release();
            _decoder.Clear();
            return true;
        }
    }

    private bool TryPartitionEof(out PartitionState? partition, out RecordSlot slot)
    {
        slot = default;
        lock (Gate)
        {
            foreach (var p in _order)
            {
                if (p.Removed || p.Paused || p.Halted || p.Lookup != PositionLookup.None || p.EofReported || p.Buffered.Count > 0) continue;
                if (p.HighWatermark < 0 || p.Position < p.HighWatermark) continue;
                p.EofReported = true;
                partition = p;
                slot.Offset = p.Position;
                return true;
            }
        }
        partition = null;
        return false;
    }
}
