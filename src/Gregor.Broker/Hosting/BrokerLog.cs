using System.Net;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Hosting;

/// <summary>The broker's start and stop events.</summary>
internal static partial class BrokerLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Listening on {Listener}://{EndPoint}")]
    public static partial void Listening(ILogger logger, string listener, IPEndPoint endPoint);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Broker {NodeId} started")]
    public static partial void Started(ILogger logger, int nodeId);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "Broker stopping: no new connections; finishing requests in hand")]
    public static partial void Stopping(ILogger logger);

    [LoggerMessage(EventId = 104, Level = LogLevel.Information, Message = "Limits: {Limits}")]
    public static partial void Limits(ILogger logger, string limits);

    [LoggerMessage(EventId = 103, Level = LogLevel.Information, Message = "Broker stopped")]
    public static partial void Stopped(ILogger logger);
}
