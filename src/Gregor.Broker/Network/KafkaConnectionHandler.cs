using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Network;

/// <summary>
/// Kestrel's entry point for a Kafka listener: each accepted connection runs its own
/// <see cref="KafkaConnection"/> loop until the peer leaves, it idles out, it misbehaves, or the
/// broker stops (Kestrel then requests a close; the request in hand is finished first).
/// </summary>
public sealed class KafkaConnectionHandler : ConnectionHandler
{
    private long _lastConnectionId; // per broker, so ids in its log count from 1

    private readonly ApiHandlerRegistry _handlers;
    private readonly BrokerConfig _config;
    private readonly TimeProvider _time;
    private readonly ILogger<KafkaConnectionHandler> _log;

    public KafkaConnectionHandler(ApiHandlerRegistry handlers, BrokerConfig config, TimeProvider time, ILogger<KafkaConnectionHandler> log)
    {
        _handlers = handlers;
        _config = config;
        _time = time;
        _log = log;
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        long id = Interlocked.Increment(ref _lastConnectionId);
        using var idle = new IdleWatch(connection.Transport.Input, _time, _config.ConnectionsMaxIdleMs);
        var lifetime = connection.Features.Get<IConnectionLifetimeNotificationFeature>();
        using var closeRequested = lifetime?.ConnectionClosedRequested.Register(static w => ((IdleWatch)w!).RequestClose(), idle);
        var session = new KafkaConnection(connection, id, _handlers, idle, _config.ConnectionsMaxIdleMs, _config.SocketRequestMaxBytes, _log);
        await session.RunAsync().ConfigureAwait(false);
    }
}
