using Gregor.Broker.Configuration;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// A broker's side of its lifecycle with the controller, as Kafka's BrokerLifecycleManager: it registers (a new
/// incarnation each start), then heartbeats every <c>broker.heartbeat.interval.ms</c> with the metadata offset it has
/// applied, asking to stay fenced until it has caught up with the metadata log and opened its logs; the
/// controller then unfences it and places leadership on it. When the node begins to stop it asks to shut down (the
/// controller moves its leadership away) and waits, within a bound, to be told it may go: in
/// <see cref="StoppingAsync"/>, before any service stops, as Kafka's broker does it before its socket server stops.
/// The listeners then still serve, so the partitions are served until their leadership has moved, and on a node that
/// is also the active controller the shutdown reaches that controller, which only its own listener serves. Runs in
/// the background: the node must answer the quorum's requests while it waits for a controller.
/// </summary>
public sealed class BrokerLifecycleManager(
    IQuorumLeader quorum,
    IMetadataView metadata,
    Replication.ReplicaManager replicas,
    ClientServingGate gate,
    BrokerConfig config,
    TimeProvider time,
    ILogger<BrokerLifecycleManager> logger) : IHostedLifecycleService, IAsyncDisposable
{
    // A connection of its own: a heartbeat must not queue behind a forwarded admin request the controller takes
    // seconds to answer (a node answers one request per connection at a time), or the session could run out.
    private readonly ControllerChannel _controller = new(quorum, config, time);

    /// <summary>How long a stopping broker waits for the controller to let it go before it stops anyway.</summary>
    public static readonly TimeSpan ControlledShutdownTimeout = TimeSpan.FromSeconds(15);

    /// <summary>How soon a request is tried again after the controller could not be reached or had moved.</summary>
    private static readonly TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(250);

    private readonly KafkaUuid _incarnation = replicas.RequireRegistrationAs(KafkaUuid.NewRandom(Random.Shared));
    // Read when the node is built, before the replica manager opens the logs and removes the markers.
    private readonly long _previousBrokerEpoch = Replication.CleanShutdownFile.ReadBrokerEpoch(config.LogDirs);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _shutDownAllowed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _wake = new(0);
    private Task? _loop;
    private volatile bool _wantShutDown;
    private long _brokerEpoch = -1;
    private bool _fenced = true;
    private DateTime _lastFailureLog = DateTime.MinValue;
    private string? _clusterId;

    /// <summary>The epoch the controller gave this broker's registration, or −1 while unregistered.</summary>
    public long BrokerEpoch => Interlocked.Read(ref _brokerEpoch);

    /// <summary>Whether the controller last answered that this broker is fenced (true until it has said otherwise).</summary>
    public bool IsFenced => Volatile.Read(ref _fenced);

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _clusterId = ControllerQuorumHost.FormattedClusterId(config);
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Controlled shutdown: asks to shut down and waits for the controller's leave (bounded). Runs before any hosted
    /// service stops, the web host's included, so this node's listeners (its own controller's among them, when it is
    /// the active one) and partitions still serve while leadership moves away.
    /// </summary>
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        if (_loop is null) return;
        if (BrokerEpoch >= 0)
        {
            _wantShutDown = true;
            _wake.Release();
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                await _shutDownAllowed.Task.WaitAsync(ControlledShutdownTimeout, time, cancellationToken).ConfigureAwait(false);
                logger.LogInformation("Controlled shutdown of broker {NodeId} done in {Ms} ms: the controller moved its leadership away", config.NodeId, clock.ElapsedMilliseconds);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                logger.LogWarning("Controlled shutdown of broker {NodeId} not confirmed by the controller within {Ms} ms; stopping anyway", config.NodeId, clock.ElapsedMilliseconds);
            }
        }
    }

    /// <summary>Stops heartbeating (after the controlled shutdown, which ran in <see cref="StoppingAsync"/>).</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_loop is null) return;
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            TimeSpan wait;
            try
            {
                wait = BrokerEpoch < 0 ? await RegisterAsync(cancellationToken).ConfigureAwait(false) : await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is IOException or TimeoutException or ObjectDisposedException or Net.BrokerApiUnsupportedException)
            {
                LogFailure("The controller could not be reached: {Error}", e.Message);
                wait = RetryBackoff;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Whatever else goes wrong (an answer that does not decode, say), the broker keeps its session alive
                // by trying again rather than by the loop ending silently and the controller fencing it for good.
                logger.LogError(e, "Broker {NodeId}: a request to the controller failed; trying again", config.NodeId);
                wait = Interval;
            }
            try
            {
                await _wake.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<TimeSpan> RegisterAsync(CancellationToken cancellationToken)
    {
        var request = new BrokerRegistrationRequest
        {
            BrokerId = config.NodeId,
            ClusterId = _clusterId!,
            IncarnationId = _incarnation,
            Rack = config.BrokerRack,
            PreviousBrokerEpoch = _previousBrokerEpoch,
            Listeners = [.. ControlPlaneHost.AdvertisedEndpoints(config).Select(e => new BrokerRegistrationRequest.Listener
            {
                Name = e.ListenerName, Host = e.Host, Port = (ushort)e.Port, SecurityProtocol = e.SecurityProtocol,
            })],
        };
        var response = await _controller.SendAsync<BrokerRegistrationRequest, BrokerRegistrationResponse>(request, BrokerRegistrationRequest.HighestVersion,
            cancellationToken, RequestTimeout).ConfigureAwait(false);
        var error = (ErrorCode)response.ErrorCode;
        if (error != ErrorCode.None)
        {
            LogFailure("Registration of broker {NodeId} refused: {Error}", config.NodeId, error);
            // A live earlier incarnation (DUPLICATE_BROKER_REGISTRATION) is let go once its session expires: try again well before.
            return error == ErrorCode.NotController ? RetryBackoff : Interval;
        }
        Interlocked.Exchange(ref _brokerEpoch, response.BrokerEpoch);
        replicas.BrokerEpoch = response.BrokerEpoch;
        logger.LogInformation("Broker {NodeId} registered with the controller: broker epoch {Epoch}, incarnation {Incarnation}, previous epoch {Previous}",
            config.NodeId, response.BrokerEpoch, _incarnation, _previousBrokerEpoch);
        return TimeSpan.Zero;
    }

    private async Task<TimeSpan> HeartbeatAsync(CancellationToken cancellationToken)
    {
        MetadataImage image = metadata.Current;
        bool wantShutDown = _wantShutDown;
        var request = new BrokerHeartbeatRequest
        {
            BrokerId = config.NodeId,
            BrokerEpoch = BrokerEpoch,
            CurrentMetadataOffset = image.Offset,
            // Serving starts once this node has published metadata caught up with the quorum and opened its logs.
            WantFence = !ReadyToServe(image) && !wantShutDown,
            WantShutDown = wantShutDown,
            LeaderlessReplicas = LeaderlessReplicaReports.For(image, replicas),
        };
        long sent = time.GetTimestamp();
        bool lapsedWhenSent = replicas.SessionLease.MayHaveLapsed;
        var response = await _controller.SendAsync<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(request, BrokerHeartbeatRequest.HighestVersion,
            cancellationToken, RequestTimeout).ConfigureAwait(false);
        var error = (ErrorCode)response.ErrorCode;
        if (error == ErrorCode.StaleBrokerEpoch)
        {
            replicas.SessionLease.Lapse();
            logger.LogWarning("Broker {NodeId}: the controller no longer knows broker epoch {Epoch}; registering again", config.NodeId, BrokerEpoch);
            Interlocked.Exchange(ref _brokerEpoch, -1);
            return TimeSpan.Zero;
        }
        if (error != ErrorCode.None)
        {
            LogFailure("Heartbeat of broker {NodeId} refused: {Error}", config.NodeId, error);
            return RetryBackoff;
        }
        if (response.IsFenced != IsFenced)
            logger.LogInformation(response.IsFenced ? "Broker {NodeId} is fenced by the controller" : "Broker {NodeId} is unfenced: it serves its partitions", config.NodeId);
        Volatile.Write(ref _fenced, response.IsFenced);
        bool confirming = replicas.SessionLease.OnHeartbeatAnswer(sent, lapsedWhenSent, response.IsFenced,
            TimeSpan.FromMilliseconds(config.BrokerLifecycle.SessionTimeoutMs));
        if (!gate.IsOpen && ReadyToServe(image))
        {
            gate.Open();
            logger.LogInformation("Broker {NodeId} serves clients: caught up with the metadata at offset {Offset} and registered with epoch {Epoch}",
                config.NodeId, image.Offset, BrokerEpoch);
        }
        if (wantShutDown && response.ShouldShutDown)
        {
            _shutDownAllowed.TrySetResult();
            return Interval;
        }
        // While waiting for a change (ready to serve, unfencing, or leave to shut down) ask more often than the steady
        // interval: a restarted broker would otherwise wait a whole interval after catching up before it serves.
        bool waiting = wantShutDown || !gate.IsOpen || response.IsFenced || confirming;
        return waiting ? TimeSpan.FromMilliseconds(Math.Min(200, config.BrokerLifecycle.HeartbeatIntervalMs)) : Interval;
    }

    private bool ReadyToServe(MetadataImage image) => image.Offset >= 0 && replicas.IsStarted;

    private TimeSpan Interval => TimeSpan.FromMilliseconds(config.BrokerLifecycle.HeartbeatIntervalMs);

    /// <summary>A request that takes longer than half a session would let the session expire while it waits.</summary>
    private TimeSpan RequestTimeout => TimeSpan.FromMilliseconds(Math.Max(1000, config.BrokerLifecycle.SessionTimeoutMs / 2));

    /// <summary>Failures repeat every retry while no controller answers: one line every few seconds says so.</summary>
    private void LogFailure(string message, params object?[] args)
    {
        var now = time.GetUtcNow().UtcDateTime;
        if (now - _lastFailureLog < TimeSpan.FromSeconds(5)) return;
        _lastFailureLog = now;
#pragma warning disable CA2254 // the templates are the constant strings of this class
        logger.LogWarning(message, args);
#pragma warning restore CA2254
    }

    public async ValueTask DisposeAsync()
    {
        await _controller.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }
}
