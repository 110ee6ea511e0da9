using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Network;

/// <summary>A pool that can let go of memory it has not used for a while.</summary>
internal interface ITrimmable
{
    /// <summary>Drops what was not used within <paramref name="unusedFor"/>; returns the bytes let go.</summary>
    long Trim(TimeSpan unusedFor);
}

/// <summary>
/// Gives memory back after load: every <see cref="Interval"/> it trims the broker's buffer pools of what was not
/// used for <see cref="UnusedFor"/>, and when the managed heap holds much more than after the last collection
/// while requests have gone quiet, it runs one compacting collection that returns the free memory to the
/// operating system. Without it a broker that an attack or a burst grew stays at that size: nothing allocates,
/// so the collector never runs, and pools keep what they had.
/// </summary>
internal sealed class MemoryTrimmer : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan UnusedFor = TimeSpan.FromSeconds(10);

    /// <summary>Garbage above the last collection's heap worth collecting for (freed pool memory included).</summary>
    public const long CollectAboveBytes = 32L << 20;

    /// <summary>Fewer request bytes than this in an interval is "quiet": a collection then costs nobody latency.</summary>
    public const long QuietRequestBytes = 4L << 20;

    private readonly List<ITrimmable> _pools = [];
    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    private readonly ILogger _log;
    private long _heapAfterCollect;
    private long _requestBytes;

    public MemoryTrimmer(TimeProvider time, ILogger<MemoryTrimmer> log)
    {
        _log = log;
        _heapAfterCollect = GC.GetTotalMemory(false);
        _timer = time.CreateTimer(_ => Tick(), null, Interval, Interval);
    }

    public void Add(ITrimmable pool)
    {
        lock (_gate) _pools.Add(pool);
    }

    /// <summary>Counts request bytes received, to tell a loaded broker from a quiet one.</summary>
    public void Received(int bytes) => Interlocked.Add(ref _requestBytes, bytes);

    /// <summary>One round: trim every pool, then collect if the heap holds much garbage and requests are quiet. Returns the pool bytes let go.</summary>
    public long Tick()
    {
        ITrimmable[] pools;
        lock (_gate) pools = [.. _pools];
        long released = 0;
        foreach (var pool in pools) released += pool.Trim(UnusedFor);
        bool quiet = Interlocked.Exchange(ref _requestBytes, 0) < QuietRequestBytes;
        long heap = GC.GetTotalMemory(false);
        if (quiet && heap - Volatile.Read(ref _heapAfterCollect) > CollectAboveBytes)
        {
            // Aggressive: compacts, including the large object heap, and decommits what is free.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            long after = GC.GetTotalMemory(false);
            Volatile.Write(ref _heapAfterCollect, after);
            MemoryLog.Collected(_log, released >> 20, heap >> 20, after >> 20);
        }
        else if (heap < Volatile.Read(ref _heapAfterCollect))
        {
            Volatile.Write(ref _heapAfterCollect, heap); // the collector ran on its own and found less
        }
        return released;
    }

    public void Dispose() => _timer.Dispose();
}

internal static partial class MemoryLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Returned memory after load: {TrimmedMiB} MiB of idle buffers dropped, heap {BeforeMiB} MiB -> {AfterMiB} MiB")]
    public static partial void Collected(ILogger logger, long trimmedMiB, long beforeMiB, long afterMiB);
}
