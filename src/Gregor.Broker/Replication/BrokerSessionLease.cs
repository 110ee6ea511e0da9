namespace Gregor.Broker.Replication;

/// <summary>
/// What a broker of a cluster can know of its own session with the controller. The controller keeps a session for
/// <c>broker.session.timeout.ms</c> after the last heartbeat it received, so a heartbeat sent at T and answered
/// "unfenced" holds the session until at least T + timeout on this broker's clock. Past that (the process was paused,
/// or cut off from the controller) the controller may have fenced it and moved its leaderships while its metadata
/// still says it leads. Such a broker keeps serving what it has, as Kafka's does (a controller outage must not stop
/// the data plane), but does not answer with errors that make a client discard its own position or producer state
/// (OFFSET_OUT_OF_RANGE, OUT_OF_ORDER_SEQUENCE_NUMBER, UNKNOWN_PRODUCER_ID): those are judged against a log a new
/// leader may have moved past. A client without KIP-320's leader epochs (librdkafka before 2.1) takes them at face value.
/// A single node has no session: its lease never lapses.
/// </summary>
public sealed class BrokerSessionLease(TimeProvider time)
{
    private long _validUntil = long.MaxValue;

    /// <summary>The controller answered "unfenced" to a heartbeat sent at <paramref name="sentTimestamp"/> (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public void Renew(long sentTimestamp, TimeSpan sessionTimeout)
    {
        long until = sentTimestamp + (long)(sessionTimeout.TotalSeconds * time.TimestampFrequency);
        // Answers can come back out of order; a later-sent heartbeat's lease is the longer one.
        long current;
        do
        {
            current = Interlocked.Read(ref _validUntil);
            if (current != long.MaxValue && current >= until)
                return;
        }
        while (Interlocked.CompareExchange(ref _validUntil, until, current) != current);
    }

    /// <summary>
    /// A heartbeat sent at <paramref name="sentTimestamp"/> was answered. Fenced ends the lease. Unfenced renews it,
    /// except the first such answer to a heartbeat sent after the lease lapsed: it may come from a controller as stale
    /// as this broker (this very node, paused while it was the active controller, answers before its Raft check-quorum
    /// has made it resign), so the lease waits for the next answer, a moment later, from whichever controller is active
    /// by then. Returns true while it waits (the caller heartbeats again soon). One caller at a time.
    /// </summary>
    public bool OnHeartbeatAnswer(long sentTimestamp, bool lapsedWhenSent, bool fenced, TimeSpan sessionTimeout)
    {
        if (fenced)
        {
            Lapse();
            _awaitingConfirmation = false;
            return false;
        }
        if (lapsedWhenSent && !_awaitingConfirmation)
        {
            _awaitingConfirmation = true;
            return true;
        }
        _awaitingConfirmation = false;
        Renew(sentTimestamp, sessionTimeout);
        return false;
    }

    private bool _awaitingConfirmation;

    /// <summary>The controller said this broker is fenced, or forgot its registration: the session is gone now.</summary>
    public void Lapse() => Interlocked.Exchange(ref _validUntil, long.MinValue);

    /// <summary>Whether the controller may have ended this broker's session without the broker having heard yet.</summary>
    public bool MayHaveLapsed => time.GetTimestamp() > Interlocked.Read(ref _validUntil);
}
