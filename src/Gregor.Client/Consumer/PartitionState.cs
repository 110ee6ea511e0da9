namespace Gregor.Client.Consumer;

/// <summary>How an assigned partition's position is still to be found before it can be fetched.</summary>
internal enum PositionLookup
{
    /// <summary>The position is known.</summary>
    None,

    /// <summary>The group's committed offset, else auto.offset.reset.</summary>
    Committed,

    Earliest,

    Latest,

    /// <summary>Whatever auto.offset.reset says; with none, the partition stops with <see cref="PartitionState.LookupReason"/>.</summary>
    ResetPolicy,
}

/// <summary>
/// One assigned partition, guarded by the consumer's lock. <see cref="Position"/> is the next record Consume
/// returns; <see cref="FetchPosition"/> the next offset to fetch, ahead of it by what is buffered. Seeking,
/// resetting and reassigning bump <see cref="Generation"/>, so that fetches, lookups and a batch being consumed
/// that began before are recognised as stale and dropped.
/// </summary>
internal sealed class PartitionState(TopicPartition topicPartition)
{
    /// <summary>At most this many fetched responses wait per partition: the one being consumed and one prefetched.</summary>
    public const int MaxBuffered = 2;

    public TopicPartition TopicPartition { get; } = topicPartition;

    public string Topic => TopicPartition.Topic;

    public int Partition => TopicPartition.Partition.Value;

    public int Generation { get; set; }

    public bool Removed { get; set; }

    public long Position { get; set; } = Offset.UnsetValue;

    /// <summary>Leader epoch of the last record consumed (or of the committed offset started from); -1 when unknown.</summary>
    public int PositionLeaderEpoch { get; set; } = -1;

    public long FetchPosition { get; set; } = Offset.UnsetValue;

    public PositionLookup Lookup { get; set; }

    /// <summary>The error to stop with when auto.offset.reset is none (no committed offset, or out of range).</summary>
    public ErrorCode LookupReason { get; set; } = ErrorCode.Local_AutoOffsetReset;

    public bool LookupInFlight { get; set; }

    public bool FetchInFlight { get; set; }

    public Queue<FetchedRecords> Buffered { get; } = new(MaxBuffered);

    public bool Paused { get; set; }

    /// <summary>Stopped by an error the application must act on (offset out of range with no reset policy); a seek restarts it.</summary>
    public bool Halted { get; set; }

    /// <summary>Not to be fetched or looked up again before this clock timestamp (backoff after an error).</summary>
    public long NotBefore { get; set; }

    /// <summary>An error already reported for the current run of failures, so it is reported once, not on every retry.</summary>
    public ErrorCode ReportedError { get; set; } = ErrorCode.NoError;

    public long HighWatermark { get; set; } = Offset.UnsetValue;

    public long LogStartOffset { get; set; } = Offset.UnsetValue;

    public bool EofReported { get; set; }

    public long StoredOffset { get; set; } = Offset.UnsetValue;

    public int StoredLeaderEpoch { get; set; } = -1;

    /// <summary>The stored offset has not been committed yet (for auto-commit).</summary>
    public bool StoredDirty { get; set; }

    public bool IsFetchable(long now) =>
        !Removed && !Paused && !Halted && Lookup == PositionLookup.None && !FetchInFlight && Buffered.Count < MaxBuffered && now >= NotBefore;

    /// <summary>Forgets everything fetched and looked up: the position changed under it.</summary>
    public void Restart()
    {
        Generation++;
        DropBuffered();
        FetchInFlight = false;
        LookupInFlight = false;
        Halted = false;
        EofReported = false;
        NotBefore = 0;
        ReportedError = ErrorCode.NoError;
    }

    public void DropBuffered()
    {
        while (Buffered.TryDequeue(out var fetched)) fetched.Lease.Release();
    }

    /// <summary>Continues at a known offset.</summary>
    public void StartAt(long offset, int leaderEpoch)
    {
        Restart();
        Lookup = PositionLookup.None;
        Position = offset;
        FetchPosition = offset;
        PositionLeaderEpoch = leaderEpoch;
    }

    /// <summary>Continues at a position still to be looked up.</summary>
    public void StartWith(PositionLookup lookup, ErrorCode reason = ErrorCode.Local_AutoOffsetReset)
    {
        Restart();
        Lookup = lookup;
        LookupReason = reason;
        Position = Offset.UnsetValue;
        FetchPosition = Offset.UnsetValue;
        PositionLeaderEpoch = -1;
    }
}
