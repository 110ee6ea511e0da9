using Gregor.Protocol;

namespace Gregor.Client.Network;

/// <summary>
/// A connection failed or a request on it timed out. Carries the Kafka error a client reports
/// for it (NETWORK_EXCEPTION or REQUEST_TIMED_OUT); both are retriable.
/// </summary>
internal sealed class BrokerConnectionException : IOException
{
    public BrokerConnectionException(ErrorCode code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    public ErrorCode Code { get; }
}
