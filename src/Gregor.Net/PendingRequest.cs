namespace Gregor.Net;

/// <summary>A request written to a connection and waiting for its response (responses come in request order).</summary>
internal sealed class PendingRequest(int correlationId, short apiKey, short apiVersion, long deadlineTimestamp, TimeSpan timeout)
    : TaskCompletionSource<ResponseFrame>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public int CorrelationId { get; } = correlationId;

    public short ApiKey { get; } = apiKey;

    public short ApiVersion { get; } = apiVersion;

    /// <summary>When the request times out, in <see cref="TimeProvider.GetTimestamp"/> units.</summary>
    public long DeadlineTimestamp { get; } = deadlineTimestamp;

    /// <summary>The timeout the deadline was set from, for the message when it passes.</summary>
    public TimeSpan Timeout { get; } = timeout;
}
