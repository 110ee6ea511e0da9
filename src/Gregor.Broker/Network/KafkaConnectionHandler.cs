using System.Net;
using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Network;

/// <summary>
/// Kestrel's entry point for a Kafka listener: admits each accepted connection against the connection limits
/// (closing it at once when over one), holds it back while the connection creation rate says so, then runs its
/// <see cref="KafkaConnection"/> loop until the peer leaves, it idles out, it misbehaves, or the broker stops
/// (Kestrel then requests a close; the request in hand is finished first).
/// </summary>
internal sealed class KafkaConnectionHandler
{
    private long _lastConnectionId; // per broker, so ids in its log count from 1

    private readonly ApiHandlerRegistry _handlers;
    private readonly BrokerConfig _config;
    private readonly TimeProvider _time;
    private readonly RequestMemory _memory;
    private readonly FrameBufferPool _frames;
    private readonly ConnectionQuotas _quotas;
    private readonly ConnectionRateLimiter _rate;
    private readonly ILogger<KafkaConnectionHandler> _log;
    private readonly ClientServingGate? _gate;

    public KafkaConnectionHandler(ApiHandlerRegistry handlers, BrokerConfig config, TimeProvider time, RequestMemory memory, FrameBufferPool frames,
        ConnectionQuotas quotas, ConnectionRateLimiter rate, ILogger<KafkaConnectionHandler> log, ClientServingGate? gate = null)
    {
        _gate = gate;
        _handlers = handlers;
        _config = config;
        _time = time;
        _memory = memory;
        _frames = frames;
        _quotas = quotas;
        _rate = rate;
        _log = log;
    }

    public async Task OnConnectedAsync(ConnectionContext connection, string listener)
    {
        ArgumentNullException.ThrowIfNull(connection);
        long id = Interlocked.Increment(ref _lastConnectionId);
        IPAddress? address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        bool controllerListener = _config.Quorum.IsControllerListener(listener);
        // A broker of a cluster serves clients only once it has caught up with the metadata and registered, as Kafka
        // enables its client listeners only then: before, it would tell them existing topics do not exist. Refused
        // clients reconnect after their backoff; controller listeners serve the quorum meanwhile.
        if (!controllerListener && _gate is { IsOpen: false })
        {
            ConnectionLog.NotServingYet(_log, id, connection.RemoteEndPoint);
            return;
        }
        if (_quotas.TryAdmit(listener, address) is string over)
        {
            ConnectionLog.Rejected(_log, id, connection.RemoteEndPoint, over);
            return;
        }
        try
        {
            var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
            TimeSpan delay = _rate.Delay(listener);
            if (delay > TimeSpan.Zero)
            {
                ConnectionLog.Throttled(_log, id, connection.RemoteEndPoint, (long)delay.TotalMilliseconds);
                if (!await WaitAsync(delay, connection.ConnectionClosed, lifetime?.ConnectionClosedRequested ?? default).ConfigureAwait(false)) return;
            }
            using var session = new KafkaConnection(connection, id, _handlers, _config, _time, _memory, _frames, _log, controllerListener);
            using var closeRequested = lifetime?.ConnectionClosedRequested.Register(static s => ((KafkaConnection)s!).RequestClose(), session);
            await session.RunAsync().ConfigureAwait(false);
        }
        finally
        {
            _quotas.Release(listener, address);
        }
    }

    /// <summary>False when the peer went away, or the broker began stopping, while waiting.</summary>
    private async Task<bool> WaitAsync(TimeSpan delay, CancellationToken closed, CancellationToken closeRequested)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(closed, closeRequested);
        try
        {
            await Task.Delay(delay, _time, either.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
