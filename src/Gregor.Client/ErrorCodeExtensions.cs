using System.Globalization;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client;

/// <summary>Conversions between the wire's error codes and the client's, and their descriptions.</summary>
public static class ErrorCodeExtensions
{
    /// <summary>The client's code for a broker error: the same number (unknown future codes keep their number).</summary>
    public static ErrorCode ToClientErrorCode(this WireErrorCode code) => (ErrorCode)(int)(short)code;

    /// <summary>The wire code for a broker error; null for the client's local errors, which never go on the wire.</summary>
    public static WireErrorCode? ToWireErrorCode(this ErrorCode code) =>
        code.IsLocal() || (int)code < short.MinValue || (int)code > short.MaxValue ? null : (WireErrorCode)(short)code;

    /// <summary>Whether this error was raised by the client itself rather than sent by a broker.</summary>
    public static bool IsLocal(this ErrorCode code) => (int)code is <= -100 and >= -200;

    /// <summary>Whether the operation may succeed if tried again.</summary>
    public static bool IsRetriable(this ErrorCode code) => code switch
    {
        ErrorCode.Local_Transport or ErrorCode.Local_TimedOut or ErrorCode.Local_AllBrokersDown or
        ErrorCode.Local_Resolve or ErrorCode.Local_WaitCoord or ErrorCode.Local_Retry or ErrorCode.Local_QueueFull => true,
        _ => code.ToWireErrorCode() is { } wire && Gregor.Protocol.ErrorCodes.IsRetriable(wire),
    };

    /// <summary>A short description: Kafka's name for broker errors, a sentence for local ones.</summary>
    public static string GetReason(this ErrorCode code) => code switch
    {
        ErrorCode.NoError => "Success",
        ErrorCode.Local_BadMsg => "Local: Bad message format",
        ErrorCode.Local_BadCompression => "Local: Invalid compressed data",
        ErrorCode.Local_Destroy => "Local: Client is being disposed",
        ErrorCode.Local_Fail => "Local: Communication failure with broker",
        ErrorCode.Local_Transport => "Local: Broker transport failure",
        ErrorCode.Local_Resolve => "Local: Host resolution failure",
        ErrorCode.Local_MsgTimedOut => "Local: Message timed out",
        ErrorCode.Local_PartitionEOF => "Broker: No more messages",
        ErrorCode.Local_UnknownPartition => "Local: Unknown partition",
        ErrorCode.Local_UnknownTopic => "Local: Unknown topic",
        ErrorCode.Local_AllBrokersDown => "Local: All broker connections are down",
        ErrorCode.Local_InvalidArg => "Local: Invalid argument or configuration",
        ErrorCode.Local_TimedOut => "Local: Timed out",
        ErrorCode.Local_QueueFull => "Local: Queue full",
        ErrorCode.Local_State => "Local: Erroneous state",
        ErrorCode.Local_UnsupportedFeature => "Local: Required feature not supported by broker",
        ErrorCode.Local_KeySerialization => "Local: Key serialization error",
        ErrorCode.Local_ValueSerialization => "Local: Value serialization error",
        ErrorCode.Local_KeyDeserialization => "Local: Key deserialization error",
        ErrorCode.Local_ValueDeserialization => "Local: Value deserialization error",
        ErrorCode.Local_Fatal => "Local: Fatal error",
        ErrorCode.Local_Application => "Local: Application generated error",
        ErrorCode.Local_AutoOffsetReset => "Local: No offset to automatically reset to",
        ErrorCode.Local_NoOffset => "Local: No offset stored",
        _ when code.IsLocal() => "Local: " + code.ToString().Replace("Local_", "", StringComparison.Ordinal),
        _ when code.ToWireErrorCode() is { } wire => "Broker: " + Gregor.Protocol.ErrorCodes.KafkaName(wire),
        _ => "Unknown error " + ((int)code).ToString(CultureInfo.InvariantCulture),
    };
}
