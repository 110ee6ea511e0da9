namespace Gregor.Broker.Network;

/// <summary>
/// One connection's claim on <see cref="RequestMemory"/> for the request it is receiving or handling (one at
/// a time, so one object per connection, reused). Its counters are changed under the budget's lock.
/// </summary>
internal sealed class FrameReservation(Action<FrameReservation> evict)
{
    /// <summary>Bytes reserved: the capacity of the buffer the request is received into.</summary>
    public long Reserved { get; set; }

    public int FrameSize { get; private set; }

    /// <summary>Larger than <see cref="RequestMemory.LargeFrameBytes"/>: counts against the large requests' share.</summary>
    public bool IsLarge { get; private set; }

    /// <summary>Body bytes received so far (for the log line when the connection is closed for memory).</summary>
    public int Received { get; set; }

    /// <summary>When the request began arriving (a <see cref="TimeProvider"/> timestamp): of two equal claims the older goes first.</summary>
    public long StartedAt { get; private set; }

    /// <summary>Chosen to be closed for memory; its connection stops reading.</summary>
    public bool Evicted { get; set; }

    public void Begin(int frameSize, long timestamp)
    {
        if (Reserved != 0) throw new InvalidOperationException("a request began before the previous one released its memory");
        FrameSize = frameSize;
        IsLarge = frameSize > RequestMemory.LargeFrameBytes;
        Received = 0;
        StartedAt = timestamp;
        Evicted = false;
    }

    public void Evict() => evict(this);
}
