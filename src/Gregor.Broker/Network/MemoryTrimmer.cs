using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Network;

/// <summary>A pool that can let go of memory it has not used for a while.</summary>
internal interface ITrimmable
{
    /// <summary>
    /// Drops what was not used within <paramref name="unusedFor"/>; returns the bytes of managed buffers left to
    /// the collector since the last call (buffers given back to the system at once, as mappings are, do not count).
    /// </summary>
    long Trim(TimeSpan unusedFor);
}

/// <summary>
/// Gives memory back after load: every <see cref="Interval"/> it trims the broker's buffer pools of what was not
/// used for <see cref="UnusedFor"/>, and when the pools have left much to the collector since the last collection,
/// or the managed heap holds much more than after it, it runs one compacting collection that returns the free
/// memory to the operating system. Without it a broker that an attack or a burst grew stays at that size: the large buffers
/// dropped are not collected until the heap's own budget says so, pools keep what they had, and the collector
/// keeps freed memory committed.
/// </summary>
internal sealed class MemoryTrimmer : IDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    public static readonly TimeSpan UnusedFor = TimeSpan.FromSeconds(10);

    /// <summary>Managed buffers let go, or heap growth, since the last collection worth collecting for.</summary>
    public const long CollectAboveBytes = 32L << 20;

    private readonly List<ITrimmable> _pools = [];
    private readonly Lock _gate = new();
    private readonly ITimer _timer;
    private readonly ILogger _log;
    private long _heapAfterCollect;
    private long _releasedSinceCollect;

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

    /// <summary>One round: trim every pool, then collect if the heap holds much garbage. Returns the pool bytes let go.</summary>
    public long Tick()
    {
        ITrimmable[] pools;
        lock (_gate) pools = [.. _pools];
        long released = 0;
        foreach (var pool in pools) released += pool.Trim(UnusedFor);
        long heap = GC.GetTotalMemory(false);
        long releasedSinceCollect = Interlocked.Add(ref _releasedSinceCollect, released);
        if (releasedSinceCollect >= CollectAboveBytes || heap - Volatile.Read(ref _heapAfterCollect) > CollectAboveBytes)
        {
            Interlocked.Exchange(ref _releasedSinceCollect, 0);
            // Aggressive: compacts, including the large object heap, and decommits what is free.
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            long after = GC.GetTotalMemory(false);
            Volatile.Write(ref _heapAfterCollect, after);
            MemoryLog.Collected(_log, releasedSinceCollect >> 20, heap >> 20, after >> 20);
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
    [LoggerMessage(EventId = 200, Level = LogLevel.Information, Message = "Returned memory after load: {ReleasedMiB} MiB of buffers let go, heap {BeforeMiB} MiB -> {AfterMiB} MiB")]
    public static partial void Collected(ILogger logger, long releasedMiB, long beforeMiB, long afterMiB);
}
