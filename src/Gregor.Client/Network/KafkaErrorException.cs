using Gregor.Protocol;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Network;

/// <summary>A Kafka error code from a broker (or the client's stand-in for one), inside the client's machinery.</summary>
internal sealed class KafkaErrorException(WireErrorCode code, string message, Exception? inner = null) : Exception(message, inner)
{
    public WireErrorCode Code { get; } = code;
}
