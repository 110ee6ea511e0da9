using Gregor.Broker.Handlers;
using Gregor.Broker.Replication;
using Gregor.Broker.Replication.Fetching;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Storage;
using BrokerIsrChange = Gregor.Broker.Replication.IsrChange;

namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// The replica fetcher's, the fetch handler's, the ISR manager's and the produce handler's steps around the partition,
/// in their order (ReplicaFetcher, FetchHandler, IsrManager, ProduceHandler), each calling the same partition and log
/// methods they call.
/// </summary>
internal sealed partial class ReplicationSimulation
{
    // ---- the follower (ReplicaFetcher) ----

    private void FollowerStep(SimBroker b)
    {
        if (b.Following is not { } f) return;
        if (f.InFlight >= 0)
        {
            if (Now - f.SentMs < FetchTimeoutMs) return;
            f.InFlight = -1;
            f.DelayedUntilMs = Now + FetchBackoffMs;
        }
        if (Now < f.DelayedUntilMs) return;
        PartitionLog log = b.Log;
        if (f.Truncating)
        {
            int latest = log.LatestEpoch;
            if (latest < 0)
            {
                // No epochs recorded: all this log can be sure of is its high watermark.
                TruncateTo(b, f, log.HighWatermark, "no epochs recorded");
                f.Truncating = false;
            }
            else
            {
                f.InFlight = _nextRequestId++;
                f.SentMs = Now;
                Send(new EpochQuery(b.Id, f.Leader, b.Incarnation, f.InFlight, f.LeaderEpoch, latest));
                return;
            }
        }
        f.InFlight = _nextRequestId++;
        f.SentMs = Now;
        f.FetchOffset = log.LogEndOffset;
        Send(new ReplicaFetch(b.Id, f.Leader, b.Incarnation, f.InFlight, f.LeaderEpoch, log.LogEndOffset, log.LatestEpoch, log.LogStartOffset));
    }

    private Followed? Current(SimBroker b, long requestId)
    {
        if (b.Following is not { } f || f.InFlight != requestId) return null;
        f.InFlight = -1;
        return f;
    }

    private void OnEpochAnswer(SimBroker b, EpochAnswer answer)
    {
        if (Current(b, answer.Id) is not { } f) return;
        if (answer.Error != ErrorCode.None)
        {
            f.DelayedUntilMs = Now + FetchBackoffMs;
            return;
        }
        Truncate(b, f, answer.LeaderEpoch, answer.EndOffset, "the leader's end of epoch");
    }

    /// <summary>ReplicaFetcher.Truncate: the real truncation rule and cut (ReplicaFetcher.ApplyTruncation).</summary>
    private void Truncate(SimBroker b, Followed f, int leaderEpoch, long leaderEndOffset, string why)
    {
        long before = b.Log.LogEndOffset;
        if (ReplicaFetcher.ApplyTruncation(b.Partition!, f.LeaderEpoch, leaderEpoch, leaderEndOffset) is not { } decision)
            return;
        OnTruncated(b, before, $"{why}: epoch {leaderEpoch} ends at {leaderEndOffset}");
        f.Truncating = !decision.Completed;
    }

    private void OnTruncated(SimBroker b, long before, string why)
    {
        if (b.Log.LogEndOffset >= before) return;
        Stats.Truncations++;
        Stats.TruncatedOffsets += before - b.Log.LogEndOffset;
        Trace($"broker {b.Id} truncates from {before} to {b.Log.LogEndOffset} ({why})");
        b.CheckedUpTo = Math.Min(b.CheckedUpTo, b.Log.LogEndOffset);
    }

    /// <summary>The fetcher's other cuts (no epochs recorded, an offset out of range): TruncateAsFollower when below the log end.</summary>
    private void TruncateTo(SimBroker b, Followed f, long offset, string why)
    {
        long before = b.Log.LogEndOffset;
        if (offset < before && b.Partition!.TruncateAsFollower(offset, f.LeaderEpoch))
            OnTruncated(b, before, why);
    }

    /// <summary>ReplicaFetcher.ProcessAsync for one partition's answer.</summary>
    private void OnFetchAnswer(SimBroker b, ReplicaFetchAnswer answer)
    {
        if (Current(b, answer.Id) is not { } f) return;
        HostedPartition partition = b.Partition!;
        if (answer.Error == ErrorCode.OffsetOutOfRange)
        {
            // The fetcher asks ListOffsets for the leader's end and start; the answer carries them here.
            long ownEnd = partition.Log.LogEndOffset;
            if (answer.LogEndOffset < ownEnd)
                TruncateTo(b, f, answer.LogEndOffset, "fetch offset out of range");
            else if (answer.LogStartOffset > ownEnd && partition.TruncateFullyAsFollower(answer.LogStartOffset, f.LeaderEpoch))
                Trace($"broker {b.Id} restarts its log at the leader's start {answer.LogStartOffset}");
            else
                f.DelayedUntilMs = Now + FetchBackoffMs;
            return;
        }
        if (answer.Error != ErrorCode.None)
        {
            f.DelayedUntilMs = Now + FetchBackoffMs;
            return;
        }
        if (answer.Diverged)
        {
            Truncate(b, f, answer.DivergingEpoch, answer.DivergingEndOffset, "diverging epoch in a fetch answer");
            return;
        }
        if (partition.Log.LogEndOffset != f.FetchOffset) return;
        ReadOnlySpan<byte> records = ReplicaFetcher.WholeBatches(answer.Records);
        if (!records.IsEmpty && partition.AppendAsFollower(records, f.LeaderEpoch) is null) return;
        partition.UpdateFollowerOffsets(answer.HighWatermark, answer.LogStartOffset, f.LeaderEpoch);
        // A fetch that brought nothing long-polls at the leader (fetch.wait.max.ms): the next one goes a little later.
        if (records.IsEmpty) f.DelayedUntilMs = Now + 20;
    }

    // ---- the leader's fetch and OffsetForLeaderEpoch handling (FetchHandler, OffsetForLeaderEpochHandler) ----

    private ReplicaFetchAnswer AnswerFetch(SimBroker b, ReplicaFetch request)
    {
        HostedPartition partition = b.Partition!;
        ReplicaFetchAnswer Refused(ErrorCode error) => new(b.Id, request.From, request.Incarnation, request.Id, error, [], -1, -1, -1, -1, -1, false);
        ErrorCode leadership = partition.CheckLeader(request.CurrentLeaderEpoch);
        if (leadership != ErrorCode.None) return Refused(leadership);
        if (partition.IsRemoved || !partition.IsLeader) return Refused(ErrorCode.NotLeaderOrFollower);
        PartitionLog log = partition.Log;
        var asked = new FetchRequest.FetchPartition
        {
            Partition = 0,
            CurrentLeaderEpoch = request.CurrentLeaderEpoch,
            FetchOffset = request.FetchOffset,
            LastFetchedEpoch = request.LastFetchedEpoch,
            LogStartOffset = request.LogStartOffset,
            PartitionMaxBytes = FetchMaxBytes,
        };
        var data = new FetchResponse.PartitionData { PartitionIndex = 0 };
        byte[] records;
        long highWatermark;
        try
        {
            if (FetchDivergence.Answer(log, asked, data))
            {
                return new ReplicaFetchAnswer(b.Id, request.From, request.Incarnation, request.Id, ErrorCode.None, [], data.HighWatermark, data.LogStartOffset,
                    log.LogEndOffset, data.DivergingEpoch!.Epoch, data.DivergingEpoch.EndOffset, true);
            }
            using (LogReadResult read = log.Read(request.FetchOffset, FetchMaxBytes))
            {
                records = read.Records.ToArray();
                highWatermark = read.HighWatermark;
            }
        }
        catch (Storage.OffsetOutOfRangeException)
        {
            return new ReplicaFetchAnswer(b.Id, request.From, request.Incarnation, request.Id, ErrorCode.OffsetOutOfRange, [], log.HighWatermark,
                log.LogStartOffset, log.LogEndOffset, -1, -1, false);
        }
        ErrorCode recorded = partition.RecordFollowerFetch(request.From, request.FetchOffset, _clock.UnixMs);
        if (recorded != ErrorCode.None) return Refused(recorded);
        // HostedPartition.MaybeExpandIsr, which runs here when the ISR manager's sink is set.
        MaybeSendIsrChange(b, leader => leader.ProposeExpansion(partition.Log.HighWatermark, _clock.UnixMs));
        return new ReplicaFetchAnswer(b.Id, request.From, request.Incarnation, request.Id, ErrorCode.None, records,
            Math.Max(highWatermark, log.HighWatermark), log.LogStartOffset, log.LogEndOffset, -1, -1, false);
    }

    private EpochAnswer AnswerEpochQuery(SimBroker b, EpochQuery query)
    {
        HostedPartition partition = b.Partition!;
        ErrorCode leadership = partition.CheckLeader(query.CurrentLeaderEpoch);
        if (leadership != ErrorCode.None)
            return new EpochAnswer(b.Id, query.From, query.Incarnation, query.Id, leadership, -1, -1);
        EpochEndOffset end = partition.Log.EndOffsetForEpoch(query.LeaderEpoch);
        return new EpochAnswer(b.Id, query.From, query.Incarnation, query.Id, ErrorCode.None, end.Epoch, end.EndOffset);
    }

    // ---- the ISR manager ----

    private void LeaderStep(SimBroker b)
    {
        HostedPartition partition = b.Partition!;
        if (b.AlterInFlight is { } inFlight && Now - inFlight.SentMs >= AlterTimeoutMs)
        {
            // No answer: IsrManager's SendAsync keeps the change in flight and sends it again while it is still pending.
            b.AlterInFlight = null;
            if (partition.IsrChangeUnanswered(inFlight.Change))
                MaybeSendIsrChange(b, _ => inFlight.Change);
        }
        if (Now >= b.NextShrinkCheckMs)
        {
            b.NextShrinkCheckMs = Now + _options.LagTimeMaxMs / 2;
            // HostedPartition.MaybeShrinkIsr, which runs when the ISR manager's sink is set.
            MaybeSendIsrChange(b, leader => leader.ProposeShrink(partition.Log.LogEndOffset, _clock.UnixMs, _options.LagTimeMaxMs));
        }
        PollPendingProduces(b);
    }

    private void MaybeSendIsrChange(SimBroker b, Func<PartitionReplicas, BrokerIsrChange?> propose)
    {
        HostedPartition partition = b.Partition!;
        BrokerIsrChange? change = null;
        partition.WithLeaderState(0, (leader, _) => change = propose(leader));
        if (change is null) return;
        // IsrManager.SendOnceAsync: AlterPartition v3 with each member's broker epoch as this broker's image has it.
        int leaderEpoch = partition.LeaderEpochIfLeader;
        if (leaderEpoch < 0) return;
        MetadataImage image = b.Image!;
        var members = change.NewIsr.Select(id => new IsrMember(id,
            id == b.Id ? b.BrokerEpoch : image.Brokers.TryGetValue(id, out BrokerRegistration? r) ? r.Epoch : -1)).ToList();
        var request = new Metadata.Controller.AlterPartitionRequest(b.Id, b.BrokerEpoch, 3,
            [new TopicIsrChanges(Topic, _topicId, [new Metadata.Controller.IsrChange(0, leaderEpoch, change.PartitionEpoch, members, LeaderRecoveryState.Recovered)])]);
        long id = _nextRequestId++;
        b.AlterInFlight = (id, change, Now);
        if (change.IsExpansion) Stats.IsrExpansions++; else Stats.IsrShrinks++;
        Trace($"broker {b.Id} asks for isr [{string.Join(",", change.NewIsr)}] at partition epoch {change.PartitionEpoch} ({(change.IsExpansion ? "expansion" : "shrink")})");
        Send(new AlterIsr(b.Id, b.Incarnation, id, request));
    }

    private void OnAlterAnswer(SimBroker b, AlterIsrAnswer answer)
    {
        if (b.AlterInFlight is not { } inFlight || inFlight.Id != answer.Id) return;
        b.AlterInFlight = null;
        HostedPartition partition = b.Partition!;
        ErrorCode error = answer.Outcome.Error;
        PartitionIsrOutcome? result = answer.Outcome.Topics.SelectMany(t => t.Partitions).FirstOrDefault();
        if (error == ErrorCode.None && result is not null) error = result.Error;
        switch (error)
        {
            case ErrorCode.None when result is not null:
                partition.ApplyIsrAnswer(result.LeaderEpoch, result.Isr, result.PartitionEpoch);
                Trace($"broker {b.Id}: isr now [{string.Join(",", result.Isr)}] at partition epoch {result.PartitionEpoch}");
                break;
            case ErrorCode.InvalidUpdateVersion or ErrorCode.FencedLeaderEpoch:
                // Newer metadata is on its way and ends the change.
                Trace($"broker {b.Id}: isr change refused ({error})");
                break;
            default:
                Trace($"broker {b.Id}: isr change refused ({error}), dropped");
                partition.AbandonIsrChange(inFlight.Change, _clock.UnixMs + IsrManager.RefusalBackoffMs);
                break;
        }
    }

    // ---- the produce handler (acks=all) ----

    private void LeaderProduce(SimBroker b, Produce request)
    {
        HostedPartition partition = b.Partition!;
        if (partition.State is null)
        {
            Send(new ProduceAnswer(b.Id, request.From, request.Id, ErrorCode.NotLeaderOrFollower, -1, request.Connection));
            return;
        }
        if (partition.InSyncReplicaCount < partition.Settings.MinInsyncReplicas)
        {
            Send(new ProduceAnswer(b.Id, request.From, request.Id, ErrorCode.NotEnoughReplicas, -1, request.Connection));
            return;
        }
        byte[] batch = (byte[])request.Batch.Clone();
        PartitionAppendOutcome outcome = partition.AppendAsLeader(batch, ProduceVersion, _clock.UnixMs);
        if (outcome.Error != ErrorCode.None)
        {
            Send(new ProduceAnswer(b.Id, request.From, request.Id, outcome.Error, -1, request.Connection));
            return;
        }
        b.Pending.Add(new PendingProduce(request.From, request.Id, outcome.LastOffset + 1, outcome.LeaderEpoch, outcome.BaseOffset, Now + ProduceTimeoutMs, request.Connection));
        PollPendingProduces(b);
    }

    /// <summary>HostedPartition.WaitForReplicationAsync, polled with no wait: answered once decided, or timed out at the request's deadline.</summary>
    private void PollPendingProduces(SimBroker b)
    {
        HostedPartition partition = b.Partition!;
        for (int i = 0; i < b.Pending.Count; i++)
        {
            PendingProduce pending = b.Pending[i];
            Task<ErrorCode> wait = partition.WaitForReplicationAsync(pending.EndOffset, pending.LeaderEpoch, TimeSpan.Zero, _clock, CancellationToken.None);
            ErrorCode outcome = Done(wait);
            if (outcome == ErrorCode.RequestTimedOut && Now < pending.DeadlineMs) continue;
            b.Pending.RemoveAt(i--);
            Send(new ProduceAnswer(b.Id, pending.Producer, pending.RequestId, outcome, outcome == ErrorCode.None ? pending.BaseOffset : -1, pending.Connection));
        }
    }
}
