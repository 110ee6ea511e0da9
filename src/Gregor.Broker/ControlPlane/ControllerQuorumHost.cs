using Gregor.Broker.Configuration;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Net;
using Gregor.Raft;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// A controller-only node (<c>process.roles=controller</c>) of a quorum of voters: checks the log dirs were
/// formatted for one cluster (every voter must share the cluster id, so none invents one), opens the replicated
/// metadata log and its Raft member, folds what commits into the published image, and runs the controller only
/// while this node leads and its epoch's first entry has committed. While it runs, brokers whose sessions expired are
/// fenced (<see cref="BrokerSessionExpiry"/>) and, with <c>auto.leader.rebalance.enable</c>, leadership goes back to
/// preferred replicas (<see cref="QuorumController.BalanceLeadersAsync"/>).
/// </summary>
public sealed class ControllerQuorumHost(
    QuorumController controller,
    MetadataPublisher publisher,
    RaftEndpointSlot endpoint,
    ReplicatedQuorumStatus status,
    BrokerConfig config,
    TimeProvider time,
    MetadataFailureStop failureStop,
    ILogger<ControllerQuorumHost> logger) : IHostedService
{
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private readonly ControllerPeriodicWork[] _chores = ActiveControllerChores(controller, config, time, logger);
    private ReplicatedMetadataLog? _log;
    private volatile bool _caughtUp;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        string clusterId = FormattedClusterId(config);
        var voters = config.Quorum.Voters.ToDictionary(v => v.Id, v => new BrokerEndpoint(v.Host, v.Port));
        var settings = new RaftSettings
        {
            ElectionTimeoutMs = config.Quorum.ElectionTimeoutMs,
            FetchTimeoutMs = config.Quorum.FetchTimeoutMs,
            ElectionBackoffMaxMs = config.Quorum.ElectionBackoffMaxMs,
            RequestTimeoutMs = config.Quorum.FetchTimeoutMs,
        };
        var snapshots = new MetadataSnapshotPolicy(config.MetadataSnapshots.MaxRecordBytesBetweenSnapshots, config.MetadataSnapshots.MaxIntervalMs);
        var log = ReplicatedMetadataLog.Open(config.LogDirs[0], config.NodeId, voters, clusterId, settings, time, Random.Shared,
            message => logger.LogInformation("{Message}", message), snapshots);
        _log = log;
        var replayed = log.CatchUp(MetadataImage.Empty(clusterId, config.NodeId)) with { ClusterId = clusterId };
        // A broker serves nothing from the log it restarted with, which may be far behind: it publishes once caught up.
        if (!config.Quorum.IsBroker) publisher.Publish(replayed);
        else _ = WaitForCatchUpAsync(log);
        endpoint.Attach(log);
        status.Attach(log);
        log.Driver.Committed += node => { _ = Task.Run(RefreshAsync); };
        _ = log.Driver.Completion.ContinueWith(loop => failureStop.Stop(loop.Exception!.InnerException!), CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        log.Driver.StateChanged += node => { _ = Task.Run(RefreshAsync); };
        logger.LogInformation("Metadata quorum member {NodeId} of voters {Voters} started: cluster {ClusterId}, log {Directory}",
            config.NodeId, string.Join(",", voters.Keys.Order()), clusterId, log.Directory);
        await RefreshAsync().ConfigureAwait(false);
    }

    /// <summary>Folds what committed and publishes it; activates the controller when this node is a ready leader, deactivates it otherwise.</summary>
    private async Task RefreshAsync()
    {
        var log = _log;
        if (log is null) return;
        await _refresh.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_log is null) return; // stopped meanwhile
            var folded = log.CatchUp(publisher.Current);
            if (!config.Quorum.IsBroker || _caughtUp || (_caughtUp = await log.HasCaughtUpWithLeaderAsync().ConfigureAwait(false)))
                publisher.PublishIfNewer(folded);
            bool ready = await log.IsLeaderReadyAsync().ConfigureAwait(false);
            if (ready && !controller.IsActive)
            {
                controller.Activate(log, log.CatchUp(publisher.Current));
                foreach (var chore in _chores) chore.Start();
                logger.LogInformation("Node {NodeId} is the active controller", config.NodeId);
            }
            else if (!ready && controller.IsActive)
            {
                await StopChoresAsync().ConfigureAwait(false);
                controller.Deactivate();
                logger.LogInformation("Node {NodeId} is no longer the active controller", config.NodeId);
            }
        }
        catch (ObjectDisposedException)
        {
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            logger.LogError(e, "Folding the metadata log failed");
        }
        finally
        {
            _refresh.Release();
        }
    }

    /// <summary>
    /// Folds again every quarter second until this broker has caught up with a leader and published: catching up
    /// need not commit anything new, so no commit may come to trigger it.
    /// </summary>
    private async Task WaitForCatchUpAsync(ReplicatedMetadataLog log)
    {
        while (!_caughtUp && ReferenceEquals(_log, log))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), time).ConfigureAwait(false);
            await RefreshAsync().ConfigureAwait(false);
        }
        if (_caughtUp) logger.LogInformation("Broker {NodeId} caught up with the metadata quorum at offset {Offset}", config.NodeId, publisher.Current.Offset);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var log = _log;
        if (log is null) return;
        try
        {
            // A controlled shutdown: a leader tells the voters at once rather than leaving them to time out.
            await log.Driver.ResignAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
        }
        // Under the refresh lock, so that a refresh under way cannot activate the controller again after this.
        await _refresh.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            _log = null;
            await StopChoresAsync().ConfigureAwait(false);
            controller.Deactivate();
            status.Attach(null);
        }
        finally
        {
            _refresh.Release();
        }
        await log.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>What the active controller runs periodically: the broker session check, and the leader rebalance when enabled.</summary>
    internal static ControllerPeriodicWork[] ActiveControllerChores(QuorumController controller, BrokerConfig config, TimeProvider time, ILogger logger)
    {
        var sessions = BrokerSessionExpiry.Create(controller, BrokerSessionExpiry.PeriodFor(config.BrokerLifecycle), time, logger);
        LeaderBalanceSettings balance = config.LeaderBalance;
        if (!balance.Enabled)
            return [sessions];
        var rebalance = new ControllerPeriodicWork("Preferred leader rebalance", TimeSpan.FromSeconds(balance.CheckIntervalSeconds), async stop =>
        {
            var moved = await controller.BalanceLeadersAsync(balance.PerBrokerPercentage, stop).ConfigureAwait(false);
            if (moved.Count > 0)
                logger.LogInformation("Moved leadership of {Count} partition(s) back to their preferred replicas: {Partitions}",
                    moved.Count, string.Join(",", moved.Take(20)));
        }, time, logger);
        return [sessions, rebalance];
    }

    private async Task StopChoresAsync()
    {
        foreach (var chore in _chores)
            await chore.StopAsync().ConfigureAwait(false);
    }

    /// <summary>The cluster id every log dir was formatted with; a quorum member never makes one up.</summary>
    internal static string FormattedClusterId(BrokerConfig config)
    {
        var states = LogDirInspector.Inspect(config.LogDirs);
        var problems = LogDirInspector.Problems(states, config.NodeId);
        if (problems.Count > 0) throw new BrokerConfigException("Cannot start: " + string.Join(" ", problems));
        var unformatted = states.Where(s => s.Properties is null).Select(s => s.Directory).ToList();
        if (unformatted.Count > 0)
            throw new BrokerConfigException($"Cannot start: {string.Join(", ", unformatted)} not formatted; a member of a quorum of voters needs the cluster's id: run gregor storage format --cluster-id ID --config FILE on every node first.");
        return states[0].Properties!.ClusterId;
    }
}
