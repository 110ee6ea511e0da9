using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Producer;

/// <summary>
/// What happens when a record's batch is acknowledged or given up on, made by the producer's front end (a task
/// for ProduceAsync, a callback for Produce); the accumulator and sender only carry it. An interface, so
/// ProduceAsync's completion can be the task source itself, and one callback completion can serve every record
/// sent with the same handler (the record's own part, its message, travels as the state).
/// </summary>
internal interface IDeliveryCompletion
{
    /// <param name="state">What the record was sent with (<see cref="DeliveryTarget.State"/>).</param>
    /// <param name="offset">The record's offset, or -1 when unknown (acks=0, or failed).</param>
    /// <param name="timestamp">The record's timestamp: the broker's append time if the topic uses it, else the create time.</param>
    /// <param name="localError">A client-side error (timeout, shutdown) or null; the wire error is then ignored.</param>
    void Complete(object? state, string topic, int partition, long offset, long timestamp, bool logAppendTime,
        WireErrorCode error, ErrorCode? localError, string? message);
}

/// <summary>A record's completion and the state it is completed with; kept beside the record in its batch.</summary>
internal readonly record struct DeliveryTarget(IDeliveryCompletion Completion, object? State);
