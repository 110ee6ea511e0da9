using Gregor.Broker.Replication;
using Gregor.Metadata;
using Gregor.Protocol.Records;
using Gregor.Storage;

namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// The invariants, checked after every step of a broker and at the end: (1) an acknowledged record is committed at its
/// offset, and at the end in every replica; (2) replicas agree below their high watermarks (the same batch, epoch and
/// CRC at each offset); (3) a leader's high watermark never goes back within its epoch, and a leader holds every
/// committed batch; (4) at most one broker acts as leader of an epoch; (5) an idempotent producer's value is never
/// committed twice.
/// </summary>
internal sealed partial class ReplicationSimulation
{
    private readonly Dictionary<int, int> _actingLeaderOfEpoch = [];
    private readonly Dictionary<long, long> _committedValueAt = [];
    private long _committedEnd;

    private void AfterStep(SimBroker b)
    {
        if (b.Partition is not { } partition) return;
        PartitionLog log = partition.Log;
        string state = partition.IsLeader ? $"leader at epoch {partition.LeaderEpochIfLeader}" : b.Following is { } f ? $"follower of {f.Leader} at epoch {f.LeaderEpoch}" : "no role";
        if (state != b.LastState)
        {
            b.LastState = state;
            Trace($"broker {b.Id}: {state}, log [{log.LogStartOffset},{log.LogEndOffset}) hw {log.HighWatermark}");
        }
        if (partition.IsLeader)
        {
            int epoch = partition.LeaderEpochIfLeader;
            if (_actingLeaderOfEpoch.TryGetValue(epoch, out int other) && other != b.Id)
                throw Violation($"brokers {other} and {b.Id} both acted as leader of epoch {epoch}");
            _actingLeaderOfEpoch[epoch] = b.Id;
            // A deposed leader that has not heard yet naturally lacks what its successors committed; the newest must hold it all.
            bool newest = !_leaderOfEpoch.Keys.Any(k => k > epoch);
            if (b.CheckedLeaderEpoch != epoch)
            {
                b.CheckedLeaderEpoch = epoch;
                b.LastLeaderHighWatermark = log.HighWatermark;
                if (newest) CheckHoldsCommitted(b, $"on becoming leader of epoch {epoch}");
            }
            if (log.HighWatermark < b.LastLeaderHighWatermark)
                throw Violation($"leader {b.Id}'s high watermark went back from {b.LastLeaderHighWatermark} to {log.HighWatermark} in epoch {epoch}");
            b.LastLeaderHighWatermark = log.HighWatermark;
            if (newest && log.LogEndOffset < _committedEnd)
                throw Violation($"leader {b.Id} (epoch {epoch}) ends at {log.LogEndOffset}, short of committed offset {_committedEnd - 1}");
        }
        else
        {
            b.CheckedLeaderEpoch = -1;
        }
        b.CheckedUpTo = Math.Min(b.CheckedUpTo, log.LogEndOffset);
        if (log.HighWatermark > b.CheckedUpTo)
        {
            foreach (CommittedBatch batch in Batches(log, b.CheckedUpTo, log.HighWatermark))
                Commit(b, batch);
            b.CheckedUpTo = log.HighWatermark;
        }
    }

    /// <summary>A batch below a replica's high watermark: the first to report an offset defines it, every later one must match.</summary>
    private void Commit(SimBroker b, CommittedBatch batch)
    {
        if (_committed.TryGetValue(batch.BaseOffset, out CommittedBatch known))
        {
            if (known != batch)
                throw Violation($"broker {b.Id} has {Show(batch)} below its high watermark where {Show(known)} was committed");
            return;
        }
        if (batch.LastOffset != batch.BaseOffset)
            throw Violation($"broker {b.Id} has a batch of {batch.LastOffset - batch.BaseOffset + 1} records at {batch.BaseOffset}; every produced batch has one");
        _committed[batch.BaseOffset] = batch;
        _committedEnd = Math.Max(_committedEnd, batch.LastOffset + 1);
        Stats.CommittedOffsets++;
        if (_committedValueAt.TryGetValue(batch.Value, out long at) && _idempotentValues.Contains(batch.Value))
            throw Violation($"idempotent value {batch.Value} (producer {_valueSentBy[batch.Value]}) committed twice, at {at} and {batch.BaseOffset}");
        _committedValueAt[batch.Value] = batch.BaseOffset;
    }

    private static string Show(CommittedBatch b) => $"value {b.Value} at {b.BaseOffset} (epoch {b.Epoch}, crc {b.Crc:x8})";

    /// <summary>Every committed batch is in <paramref name="b"/>'s log, unchanged.</summary>
    private void CheckHoldsCommitted(SimBroker b, string when)
    {
        PartitionLog log = b.Log;
        if (log.LogEndOffset < _committedEnd)
            throw Violation($"broker {b.Id} {when} ends at {log.LogEndOffset}, short of committed offset {_committedEnd - 1}; {HoldersOfCommitted(log.LogEndOffset)}");
        var held = Batches(log, log.LogStartOffset, _committedEnd).ToDictionary(x => x.BaseOffset);
        foreach (CommittedBatch committed in _committed.Values)
        {
            if (committed.BaseOffset < log.LogStartOffset) continue;
            if (!held.TryGetValue(committed.BaseOffset, out CommittedBatch mine) || mine != committed)
                throw Violation($"broker {b.Id} {when} lacks {Show(committed)}: it has {(held.ContainsKey(committed.BaseOffset) ? Show(mine) : "nothing")} there");
        }
    }

    private static List<CommittedBatch> Batches(PartitionLog log, long from, long to)
    {
        var batches = new List<CommittedBatch>();
        long offset = Math.Max(from, log.LogStartOffset);
        while (offset < to)
        {
            using LogReadResult read = log.Read(offset, 64 * 1024, to);
            if (read.BatchCount == 0) break;
            ReadOnlySpan<byte> bytes = read.Records.Span;
            while (bytes.Length >= RecordBatchHeader.LogOverhead)
            {
                int size = RecordBatchHeader.TotalSize(bytes);
                ReadOnlySpan<byte> batch = bytes[..size];
                long last = RecordBatchHeader.LastOffset(batch);
                if (last >= offset)
                {
                    batches.Add(new CommittedBatch(RecordBatchHeader.BaseOffset(batch), last, RecordBatchHeader.PartitionLeaderEpoch(batch),
                        RecordBatchHeader.Crc(batch), BatchValue(batch)));
                    offset = last + 1;
                }
                bytes = bytes[size..];
            }
        }
        return batches;
    }

    /// <summary>After the faults healed and the writes stopped: one leader, every replica in the ISR with the leader's log, nothing acknowledged lost.</summary>
    private void CheckConverged()
    {
        PartitionImage p = _publisher.Current.Topic(Topic)!.Partitions[0];
        if (p.Leader < 0)
            throw Violation($"no leader after {_options.HealPhaseMs} ms healed");
        SimBroker leader = Broker(p.Leader);
        if (leader.Partition is not { IsLeader: true } || leader.Partition.LeaderEpochIfLeader != p.LeaderEpoch)
            throw Violation($"broker {p.Leader} is the controller's leader at epoch {p.LeaderEpoch} but does not lead at it");
        if (p.Isr.Length != _brokers.Length)
            throw Violation($"the ISR is [{string.Join(",", p.Isr)}] after {_options.HealPhaseMs} ms healed, not every replica");
        PartitionLog leaderLog = leader.Log;
        if (leaderLog.HighWatermark != leaderLog.LogEndOffset)
            throw Violation($"the leader's high watermark {leaderLog.HighWatermark} is short of its log end {leaderLog.LogEndOffset} after the writes stopped");
        CheckHoldsCommitted(leader, "at the end");
        List<CommittedBatch> final = Batches(leaderLog, leaderLog.LogStartOffset, leaderLog.LogEndOffset);
        foreach (SimBroker b in _brokers)
        {
            if (b == leader) continue;
            if (b.Log.LogEndOffset != leaderLog.LogEndOffset || b.Log.HighWatermark != leaderLog.HighWatermark)
                throw Violation($"broker {b.Id} did not converge: log end {b.Log.LogEndOffset} hw {b.Log.HighWatermark}; leader {leader.Id}: {leaderLog.LogEndOffset} hw {leaderLog.HighWatermark}");
            List<CommittedBatch> mine = Batches(b.Log, leaderLog.LogStartOffset, leaderLog.LogEndOffset);
            if (!mine.SequenceEqual(final))
            {
                var first = mine.Zip(final).FirstOrDefault(x => x.First != x.Second);
                throw Violation($"broker {b.Id}'s log differs from leader {leader.Id}'s: {Show(first.First)} against {Show(first.Second)}");
            }
        }
        var byOffset = final.ToDictionary(x => x.BaseOffset);
        foreach (var (value, offset) in _acknowledged)
        {
            if (!byOffset.TryGetValue(offset, out CommittedBatch batch) || batch.Value != value)
                throw Violation($"acknowledged value {value} at offset {offset} is lost");
        }
        foreach (var group in final.GroupBy(x => x.Value).Where(g => g.Count() > 1 && _idempotentValues.Contains(g.Key)))
            throw Violation($"idempotent value {group.Key} is in the log {group.Count()} times, at {string.Join(", ", group.Select(x => x.BaseOffset))}");
        if (Stats.AcknowledgedAfterHeal == 0)
            throw Violation("no write was acknowledged after the faults healed");
    }
}
