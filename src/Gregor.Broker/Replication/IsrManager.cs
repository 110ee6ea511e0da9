using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Replication;

/// <summary>
/// A cluster broker's leaders' ISR changes, as Kafka's: every half of <c>replica.lag.time.max.ms</c> each partition led
/// here is checked for members that have not caught up within it (a shrink), and a follower's fetch that catches it up
/// asks for an expansion at once; each change goes to the active controller as AlterPartition (v3 with members' broker
/// epochs when the controller speaks it), fenced by the leader and partition epochs the leader holds. An answer is
/// applied at once; INVALID_UPDATE_VERSION and FENCED_LEADER_EPOCH mean this leader's view is old and the change stays
/// in flight until newer metadata replaces it; any other refusal drops the change for the next check to try again; no
/// answer keeps it in flight and sends it again (the controller may have committed it).
/// </summary>
public sealed class IsrManager(ReplicaManager replicas, ControllerChannel controller, BrokerConfig config, Func<long> brokerEpoch, ILogger<IsrManager> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        replicas.IsrChangeSink = (partition, change) => _ = SendAsync(partition, change);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        // The host stops it, then disposes it (which stops it too): once is enough.
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        replicas.IsrChangeSink = null;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private int _stopped;

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        long lag = config.Replication.LagTimeMaxMs;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(1, lag / 2)), replicas.Time);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            long now = replicas.NowMs;
            foreach (HostedPartition partition in replicas.Partitions)
            {
                if (partition.MaybeShrinkIsr(now, lag) is { } change)
                {
                    logger.LogInformation("Shrinking the ISR of {Partition} to {Isr}: a member has not caught up in {Lag} ms", partition.Id, string.Join(",", change.NewIsr), lag);
                    _ = SendAsync(partition, change);
                }
            }
        }
    }

    private async Task SendAsync(HostedPartition partition, IsrChange change)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await SendOnceAsync(partition, change).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                // No answer is not a refusal: the controller may have committed the change (PartitionReplicas.KeepUnanswered).
                if (!partition.IsrChangeUnanswered(change))
                    return;
                // Once a change, not every retry: a controller outage would otherwise log ten lines a second a partition.
                logger.Log(attempt == 1 ? LogLevel.Warning : LogLevel.Debug, "AlterPartition for {Partition} got no answer ({Error}); asked again every {Backoff} ms until answered",
                    partition.Id, error.Message, UnansweredRetryMs);
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(UnansweredRetryMs), replicas.Time, _stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            if (!partition.IsrChangeUnanswered(change))
                return;
        }
    }

    /// <summary>How long after an unanswered AlterPartition the same change is sent again.</summary>
    public const long UnansweredRetryMs = 100;

    private async Task SendOnceAsync(HostedPartition partition, IsrChange change)
    {
        int leaderEpoch = partition.LeaderEpochIfLeader;
        if (leaderEpoch < 0)
            return;
        MetadataImage image = replicas.Metadata.Current;
        long ownEpoch = brokerEpoch();
        var request = new AlterPartitionRequest { BrokerId = replicas.NodeId, BrokerEpoch = ownEpoch };
        var alteration = new AlterPartitionRequest.AlterPartitionPartition
        {
            PartitionIndex = partition.Id.Partition,
            LeaderEpoch = leaderEpoch,
            NewIsr = [.. change.NewIsr],
            NewIsrWithEpochs = [.. change.NewIsr.Select(id => new AlterPartitionRequest.BrokerState
            {
                BrokerId = id,
                BrokerEpoch = id == replicas.NodeId ? ownEpoch : image.Brokers.TryGetValue(id, out BrokerRegistration? b) ? b.Epoch : -1,
            })],
            LeaderRecoveryState = 0,
            PartitionEpoch = change.PartitionEpoch,
        };
        request.Topics.Add(new AlterPartitionRequest.AlterPartitionTopic { TopicName = partition.Id.Topic, TopicId = partition.TopicId, Partitions = [alteration] });
        AlterPartitionResponse response = await controller.SendAsync<AlterPartitionRequest, AlterPartitionResponse>(request, AlterPartitionRequest.HighestVersion, _stop.Token)
            .ConfigureAwait(false);
        var error = (ErrorCode)response.ErrorCode;
        AlterPartitionResponse.AlterPartitionPartitionResult? answer = response.Topics.SelectMany(t => t.Partitions).FirstOrDefault(p => p.PartitionIndex == partition.Id.Partition);
        if (error == ErrorCode.None && answer is not null)
            error = (ErrorCode)answer.ErrorCode;
        switch (error)
        {
            case ErrorCode.None when answer is not null:
                partition.ApplyIsrAnswer(answer.LeaderEpoch, answer.Isr, answer.PartitionEpoch);
                logger.LogInformation("ISR of {Partition} is now {Isr} (partition epoch {Epoch})", partition.Id, string.Join(",", answer.Isr), answer.PartitionEpoch);
                break;
            case ErrorCode.InvalidUpdateVersion or ErrorCode.FencedLeaderEpoch:
                // This leader's partition or leader epoch is behind the controller's: newer metadata is on its way and ends the change.
                logger.LogInformation("AlterPartition for {Partition} refused ({Error}); waiting for newer metadata", partition.Id, error);
                break;
            default:
                logger.LogWarning("AlterPartition for {Partition} refused ({Error}); asked again in {Backoff} ms at the earliest", partition.Id, error, RefusalBackoffMs);
                partition.AbandonIsrChange(change, replicas.NowMs + RefusalBackoffMs);
                break;
        }
    }

    /// <summary>How long after a refused change the next may be asked (at most two a second a partition).</summary>
    public const long RefusalBackoffMs = 500;

    public async ValueTask DisposeAsync() => await StopAsync(CancellationToken.None).ConfigureAwait(false);
}
