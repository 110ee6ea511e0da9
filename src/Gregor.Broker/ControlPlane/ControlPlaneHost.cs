using System.Net;
using Gregor.Broker.Configuration;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// Starts the control plane with the broker: checks meta.properties, opens and replays the metadata log,
/// activates the controller over it, lets <paramref name="quorum"/> describe its quorum and registers this node;
/// on stop, deactivates and closes the log.
/// </summary>
public sealed class ControlPlaneHost(QuorumController controller, MetadataQuorumStatus quorum, BrokerConfig config, TimeProvider time,
    MetadataFailureStop failureStop, ILogger<ControlPlaneHost> logger) : IHostedService
{
    private MetadataLog? _log;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var snapshots = new MetadataSnapshotPolicy(config.MetadataSnapshots.MaxRecordBytesBetweenSnapshots, config.MetadataSnapshots.MaxIntervalMs);
        var (log, image) = MetadataBootstrap.Open(config.LogDirs, config.NodeId, Random.Shared, time, snapshots);
        _log = log;
        log.Failed += failureStop.Stop;
        controller.Activate(log, image);
        quorum.Attach(log);
        logger.LogInformation("Metadata log {Directory} replayed to offset {Offset} (snapshot {Snapshot}, then {Batches} batch(es)): cluster {ClusterId}, {Topics} topic(s)",
            log.Directory, image.Offset, log.ReplayedSnapshot?.ToString() ?? "none", log.BatchesReplayed, image.ClusterId, image.TopicsByName.Count);
        await controller.RegisterBrokerAsync(config.NodeId, AdvertisedEndpoints(config), config.BrokerRack, cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        controller.Deactivate();
        quorum.Attach(null);
        _log?.Dispose();
        _log = null;
        return Task.CompletedTask;
    }

    /// <summary>The advertised listeners as registered; an empty (all-interfaces) host is advertised as this machine's name.</summary>
    public static IReadOnlyList<BrokerEndpointInfo> AdvertisedEndpoints(BrokerConfig config) =>
        config.EffectiveAdvertisedListeners
            .Select(l => new BrokerEndpointInfo(l.Name, l.Host.Length == 0 ? Dns.GetHostName() : l.Host, l.Port, SecurityProtocolOf(l.Name)))
            .ToList();

    // Kafka's security protocol ids; a listener named after a protocol uses it (custom names map through
    // listener.security.protocol.map, which Gregor does not read yet: they count as PLAINTEXT).
    private static short SecurityProtocolOf(string listenerName) => listenerName switch
    {
        "SSL" => 1,
        "SASL_PLAINTEXT" => 2,
        "SASL_SSL" => 3,
        _ => 0,
    };
}
