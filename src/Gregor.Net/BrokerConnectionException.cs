using Gregor.Protocol;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Net;

/// <summary>
/// A connection failed or a request on it timed out. Carries the Kafka error a client reports
/// for it (NETWORK_EXCEPTION or REQUEST_TIMED_OUT); both are retriable.
/// </summary>
public sealed class BrokerConnectionException : IOException
{
    public BrokerConnectionException(WireErrorCode code, string message, Exception? inner = null) : base(message, inner) => Code = code;

    public WireErrorCode Code { get; }
}
