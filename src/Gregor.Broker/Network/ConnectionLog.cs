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

    [LoggerMessage(EventId = 6, Level = LogLevel.Information, Message = "Closing connection {ConnectionId} from {Peer}: idle, no complete request for {IdleMs} ms (connections.max.idle.ms)")]
    public static partial void IdleTimeout(ILogger logger, long connectionId, EndPoint? peer, long idleMs);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "Rejected connection {ConnectionId} from {Peer}: {Reason}")]
    public static partial void Rejected(ILogger logger, long connectionId, EndPoint? peer, string reason);

    [LoggerMessage(EventId = 11, Level = LogLevel.Debug, Message = "Refused connection {ConnectionId} from {Peer}: this broker has not yet caught up with the metadata and registered")]
    public static partial void NotServingYet(ILogger logger, long connectionId, EndPoint? peer);

    [LoggerMessage(EventId = 9, Level = LogLevel.Debug, Message = "Connection {ConnectionId} from {Peer} waits {DelayMs} ms (max.connection.creation.rate)")]
    public static partial void Throttled(ILogger logger, long connectionId, EndPoint? peer, long delayMs);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Closing connection {ConnectionId} from {Peer}: its unfinished {FrameSize}-byte request ({Received} bytes in) holds {Reserved} bytes of request memory another request waited {WaitedMs} ms for (queued.max.request.bytes={Capacity})")]
    public static partial void ClosedForMemory(ILogger logger, long connectionId, EndPoint? peer, int frameSize, int received, long reserved, long capacity, long waitedMs);
}
