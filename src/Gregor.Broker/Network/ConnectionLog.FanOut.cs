using System.Net;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Network;

/// <summary>The connection's log event for a request over <c>max.request.partitions</c>, naming the peer and the limit.</summary>
internal static partial class ConnectionLog
{
    [LoggerMessage(EventId = 20, Level = LogLevel.Warning,
        Message = "Connection {ConnectionId} from {Peer}: {Api} v{ApiVersion} request over max.request.partitions ({Reason}); {Outcome}")]
    public static partial void OverFanOutCap(ILogger logger, long connectionId, EndPoint? peer, string api, short apiVersion, string reason, string outcome);
}
