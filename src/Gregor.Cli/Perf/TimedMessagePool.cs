using Gregor.Client;

namespace Gregor.Cli.Perf;

/// <summary>A record being timed: handed to the producer at <see cref="SentAt"/> (a Stopwatch timestamp).</summary>
internal sealed class TimedMessage : Message<byte[], byte[]>
{
    public long SentAt { get; set; }

    /// <summary>Sent during the warm-up: acknowledged and counted, but not timed.</summary>
    public bool Warmup { get; set; }

    /// <summary>The next message in the pool's lists, while this one is in the pool.</summary>
    public TimedMessage? Next { get; set; }
}

/// <summary>
/// Messages given back once their delivery was reported (on any thread) and taken again by the one sending
/// thread, without locks: returns are pushed onto a shared list with a compare-and-swap, and the sender takes
/// the whole list at once when its own runs out. Only one thread may rent.
/// </summary>
internal sealed class TimedMessagePool
{
    private TimedMessage? _returned;
    private TimedMessage? _taken;

    public TimedMessage Rent(byte[] payload)
    {
        var message = _taken ?? Interlocked.Exchange(ref _returned, null);
        if (message is null) return new TimedMessage { Key = null!, Value = payload };
        _taken = message.Next;
        message.Next = null;
        message.Timestamp = default; // the producer wrote the last send's timestamp into it
        return message;
    }

    public void Return(TimedMessage message)
    {
        var head = Volatile.Read(ref _returned);
        while (true)
        {
            message.Next = head;
            var seen = Interlocked.CompareExchange(ref _returned, message, head);
            if (ReferenceEquals(seen, head)) return;
            head = seen;
        }
    }
}
