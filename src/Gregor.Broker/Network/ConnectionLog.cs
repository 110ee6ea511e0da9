using System.Net;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Network;

/// <summary>The connection's log events, each naming the peer so an operator can find the client.</summary>
internal static partial class ConnectionLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Connection {ConnectionId} from {Peer} opened")]
    public static partial void Opened(ILogger logger, long connectionId, EndPoint? peer);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "Connection {ConnectionId} from {Peer} closed ({Reason})")]
    public static partial void Closed(ILogger logger, long connectionId, EndPoint? peer, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "Closing connection {ConnectionId} from {Peer}: {Reason}")]
    public static partial void Refused(ILogger logger, long connectionId, EndPoint? peer, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Closing connection {ConnectionId} from {Peer}: malformed {Api} v{ApiVersion} request: {Reason}")]
    public static partial void Malformed(ILogger logger, long connectionId, EndPoint? peer, short api, short apiVersion, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "Closing connection {ConnectionId} from {Peer}: handling {Api} v{ApiVersion} failed")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, long connectionId, EndPoint? peer, string api, short apiVersion);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "Closing connection {ConnectionId} from {Peer}: unexpected failure")]
    public static partial void ConnectionFailed(ILogger logger, Exception exception, long connectionId, EndPoint? peer);

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Closing connection {ConnectionId} from {Peer}: idle for {IdleMs} ms")]
    public static partial void IdleTimeout(ILogger logger, long connectionId, EndPoint? peer, long idleMs);
}
