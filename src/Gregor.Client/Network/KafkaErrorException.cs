using Gregor.Protocol;

namespace Gregor.Client.Network;

/// <summary>A Kafka error code from a broker (or the client's stand-in for one), inside the client's machinery.</summary>
internal sealed class KafkaErrorException(ErrorCode code, string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorCode Code { get; } = code;
}
