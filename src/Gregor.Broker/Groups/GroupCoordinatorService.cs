using Gregor.Broker.Configuration;
using Gregor.Broker.Replication;
using Gregor.Metadata;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Groups;

/// <summary>
/// Runs the coordinator with the host: follows which <c>__consumer_offsets</c> partitions this broker leads
/// (loading their groups, or dropping them when leadership moves), acts on the coordinator's deadlines
/// a few times a second, and expires offsets every <c>offsets.retention.check.interval.ms</c>.
/// </summary>
public sealed class GroupCoordinatorService(GroupCoordinator coordinator, ReplicaManager replicas, IMetadataView view, BrokerConfig config,
    TimeProvider time, ILogger<GroupCoordinatorService> logger) : IHostedService, IDisposable
{
    /// <summary>How often deadlines are checked: session and rebalance timeouts are met to within this.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);

    private CancellationTokenSource? _stop;
    private Task? _loop;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stop = new CancellationTokenSource();
        _loop = RunAsync(_stop.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stop is null) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
            await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(PollInterval, time);
        long nextExpiry = time.GetUtcNow().ToUnixTimeMilliseconds() + config.Groups.OffsetsRetentionCheckIntervalMs;
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            try
            {
                FollowLeadership();
                coordinator.Poll();
                long now = time.GetUtcNow().ToUnixTimeMilliseconds();
                if (now >= nextExpiry)
                {
                    nextExpiry = now + config.Groups.OffsetsRetentionCheckIntervalMs;
                    coordinator.ExpireOffsets();
                }
            }
            catch (Exception error) when (error is not OperationCanceledException)
            {
                logger.LogError(error, "Group coordinator chores failed; they run again in {Interval}", PollInterval);
            }
        }
    }

    /// <summary>Loads the partitions newly led here (once the replica manager serves their logs), unloads those no longer led.</summary>
    private void FollowLeadership()
    {
        TopicImage? topic = view.Current.Topic(OffsetsTopic.Name);
        var led = new HashSet<int>();
        if (topic is not null)
        {
            coordinator.PartitionCount = topic.Partitions.Length;
            foreach (PartitionImage p in topic.Partitions)
                if (p.Leader == config.NodeId && replicas.GetPartition(OffsetsTopic.Name, p.Partition) is { } hosted && hosted.CheckLeader(-1) == Protocol.ErrorCode.None)
                    led.Add(p.Partition);
        }
        var owned = coordinator.OwnedPartitions;
        foreach (int p in owned)
            if (!led.Contains(p))
                coordinator.UnloadPartition(p);
        foreach (int p in led)
            if (!owned.Contains(p))
                coordinator.LoadPartition(p);
    }

    public void Dispose() => _stop?.Dispose();
}
