namespace Gregor.Client.Consumer;

/// <summary>The assignment and each partition's position: assign, seek, pause, position, cached watermarks.</summary>
internal sealed partial class ConsumerCore
{
    public List<TopicPartition> Assignment
    {
        get
        {
            lock (Gate) return [.. _order.Select(p => p.TopicPartition)];
        }
    }

    /// <summary>Replaces the whole assignment.</summary>
    public void Assign(IEnumerable<TopicPartitionOffset> partitions)
    {
        var list = Checked(partitions);
        lock (Gate)
        {
            foreach (var p in _order) Remove(p);
            _partitions.Clear();
            _order.Clear();
            foreach (var tpo in list) Add(tpo);
        }
        WatchTopicsAndWake(list);
    }

    /// <summary>Adds partitions; one already assigned fails the call before anything changes.</summary>
    public void IncrementalAssign(IEnumerable<TopicPartitionOffset> partitions)
    {
        var list = Checked(partitions);
        lock (Gate)
        {
            foreach (var tpo in list)
                if (_partitions.ContainsKey(tpo.TopicPartition))
                    throw new KafkaException(new Error(ErrorCode.Local_Conflict, $"{tpo.Topic} [{tpo.Partition.Value}] is already assigned"));
            foreach (var tpo in list) Add(tpo);
        }
        WatchTopicsAndWake(list);
    }

    /// <summary>Removes partitions; one not assigned fails the call before anything changes.</summary>
    public void IncrementalUnassign(IEnumerable<TopicPartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var list = partitions.ToList();
        lock (Gate)
        {
            foreach (var tp in list)
                if (tp is null || !_partitions.ContainsKey(tp))
                    throw new KafkaException(new Error(ErrorCode.Local_State, $"{tp?.Topic} [{tp?.Partition.Value}] is not assigned"));
            foreach (var tp in list)
            {
                if (!_partitions.Remove(tp, out var state)) continue; // listed twice
                Remove(state);
                _order.Remove(state);
            }
        }
        WakeConsumer();
    }

    /// <summary>Takes on partitions the group assigned; one already held keeps its position (a rebalance step is never refused).</summary>
    public void AddAssigned(IEnumerable<TopicPartitionOffset> partitions)
    {
        var list = Checked(partitions);
        lock (Gate)
        {
            foreach (var tpo in list)
                if (!_partitions.ContainsKey(tpo.TopicPartition)) Add(tpo);
        }
        WatchTopicsAndWake(list);
    }

    /// <summary>
    /// Gives up partitions (revoked or lost): nothing fetched for them is returned any more, not even the rest of a
    /// batch being consumed. Ones not held are passed over.
    /// </summary>
    public void RemoveAssigned(IEnumerable<TopicPartition> partitions)
    {
        lock (Gate)
        {
            foreach (var tp in partitions)
            {
                if (!_partitions.Remove(tp, out var state)) continue;
                Remove(state);
                _order.Remove(state);
            }
        }
        WakeConsumer();
    }

    private static List<TopicPartitionOffset> Checked(IEnumerable<TopicPartitionOffset> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var list = partitions.ToList();
        var seen = new HashSet<TopicPartition>();
        foreach (var tpo in list)
        {
            if (tpo is null) throw new ArgumentException("a partition in the list is null", nameof(partitions));
            if (string.IsNullOrEmpty(tpo.Topic) || tpo.Partition.Value < 0)
                throw new ArgumentException($"'{tpo.Topic}' [{tpo.Partition.Value}] is not a topic partition", nameof(partitions));
            if (!seen.Add(tpo.TopicPartition))
                throw new ArgumentException($"{tpo.Topic} [{tpo.Partition.Value}] is listed twice", nameof(partitions));
            CheckStart(tpo.Offset);
        }
        return list;
    }

    private static void CheckStart(Offset offset)
    {
        if (offset.Value < 0 && !offset.IsSpecial)
            throw new ArgumentException($"offset {offset.Value} is neither an offset nor Beginning, End, Stored or Unset", nameof(offset));
    }

    private void Add(TopicPartitionOffset tpo)
    {
        var state = new PartitionState(tpo.TopicPartition);
        Start(state, tpo.Offset, tpo.LeaderEpoch ?? -1);
        _partitions.Add(state.TopicPartition, state);
        _order.Add(state);
    }

    private static void Remove(PartitionState state)
    {
        state.Removed = true;
        state.Generation++;
        state.DropBuffered();
    }

    /// <summary>Where a partition starts: a real offset at once; a logical one once it has been looked up.</summary>
    private void Start(PartitionState state, Offset offset, int leaderEpoch)
    {
        if (offset.Value >= 0) state.StartAt(offset.Value, leaderEpoch);
        else if (offset.Value == Offset.BeginningValue) state.StartWith(PositionLookup.Earliest);
        else if (offset.Value == Offset.EndValue) state.StartWith(PositionLookup.Latest);
        else state.StartWith(Settings.GroupId is null ? PositionLookup.ResetPolicy : PositionLookup.Committed);
    }

    private void WatchTopicsAndWake(List<TopicPartitionOffset> list)
    {
        bool newTopic = false;
        foreach (var tpo in list) newTopic |= Metadata.AddTopic(tpo.Topic);
        if (newTopic) Metadata.RequestRefresh();
        WakeFetcher();
        WakeConsumer();
    }

    /// <summary>Continues an assigned partition elsewhere; what was fetched for the old position is dropped.</summary>
    public void Seek(TopicPartitionOffset tpo)
    {
        ArgumentNullException.ThrowIfNull(tpo);
        CheckStart(tpo.Offset);
        lock (Gate) Start(Assigned(tpo.TopicPartition), tpo.Offset, tpo.LeaderEpoch ?? -1);
        WakeFetcher();
        WakeConsumer();
    }

    public Offset Position(TopicPartition partition)
    {
        lock (Gate)
        {
            var state = Assigned(partition);
            return state.Lookup == PositionLookup.None && !state.Halted ? new Offset(state.Position) : Offset.Unset;
        }
    }

    /// <summary>The position of a held partition, Offset.Unset when it is being looked up or not held (for the revoke handler).</summary>
    public Offset PositionOrUnset(TopicPartition partition)
    {
        lock (Gate)
        {
            return _partitions.TryGetValue(partition, out var state) && state.Lookup == PositionLookup.None && !state.Halted
                ? new Offset(state.Position)
                : Offset.Unset;
        }
    }

    public void Pause(IEnumerable<TopicPartition> partitions) => SetPaused(partitions, true);

    public void Resume(IEnumerable<TopicPartition> partitions) => SetPaused(partitions, false);

    private void SetPaused(IEnumerable<TopicPartition> partitions, bool paused)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var list = partitions.ToList();
        lock (Gate)
        {
            var states = list.Select(Assigned).ToList();
            foreach (var state in states) state.Paused = paused;
        }
        WakeFetcher();
        WakeConsumer();
    }

    /// <summary>The log start and high watermark the last fetch reported; Unset where nothing was fetched yet.</summary>
    public WatermarkOffsets CachedWatermarks(TopicPartition partition)
    {
        ArgumentNullException.ThrowIfNull(partition);
        lock (Gate)
        {
            return _partitions.TryGetValue(partition, out var state)
                ? new WatermarkOffsets(state.LogStartOffset, state.HighWatermark)
                : new WatermarkOffsets(Offset.Unset, Offset.Unset);
        }
    }
}
