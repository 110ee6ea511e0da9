using Gregor.Storage;

namespace Gregor.Broker.Configuration;

/// <summary>
/// <c>memory.budget.bytes</c>: what clients, hostile or just heavy, may make the broker hold beyond its own idle
/// footprint, and the limits derived from it where they are not set. Request frames being received or handled
/// get half (<c>queued.max.request.bytes</c>); the transport's large receive blocks an eighth; connections a
/// quarter, at <see cref="PerConnectionBytes"/> each (<c>max.connections</c>); the last eighth is slack for
/// responses and for garbage the collector has not yet returned.
/// </summary>
public static class MemoryBudget
{
    /// <summary>The default budget is a quarter of the memory the process may use, but never more than this.</summary>
    public const long DefaultCeiling = 512L << 20;

    /// <summary>Below this the derived limits leave too little to serve one ordinary request per connection.</summary>
    public const long Minimum = 16L << 20;

    /// <summary>
    /// What one connection may hold outside the request budget: about 10 KiB of connection state (measured:
    /// 4,000 served idle connections added 40 MiB of RSS), input read but not yet consumed (at most
    /// <see cref="InputPauseBytes"/> plus one small receive block), and small responses.
    /// </summary>
    public const int PerConnectionBytes = 64 * 1024;

    /// <summary>
    /// Unconsumed input at which the transport stops reading a connection's socket (its pipe's pause threshold).
    /// Requests are handled one at a time; pipelined ones beyond this wait in the kernel's socket buffer, not here.
    /// </summary>
    public const int InputPauseBytes = 32 * 1024;

    /// <summary>The largest request the derived <c>socket.request.max.bytes</c> allows: Kafka's default.</summary>
    public const int KafkaSocketRequestMaxBytes = 100 * 1024 * 1024;

    /// <summary>The default for a process that may use <paramref name="availableBytes"/> (the machine's memory, or its container's limit).</summary>
    public static long DefaultFor(long availableBytes) => Math.Clamp(availableBytes / 4, Minimum, DefaultCeiling);

    /// <summary>The default on this machine: what the runtime says the process may use (physical memory or the cgroup limit).</summary>
    public static long MachineDefault() => DefaultFor(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes);

    public static long QueuedMaxRequestBytes(long budget) => budget / 2;

    /// <summary>The derived <c>socket.request.max.bytes</c>: Kafka's 100 MiB, or less when the request budget is smaller.</summary>
    public static int SocketRequestMaxBytes(long queuedMaxRequestBytes) =>
        queuedMaxRequestBytes <= 0 ? KafkaSocketRequestMaxBytes : (int)Math.Min(KafkaSocketRequestMaxBytes, queuedMaxRequestBytes);

    /// <summary>How much of the transport's large (fast) receive blocks may be in use at once; past it, connections read into small blocks.</summary>
    public static long ReceiveBufferBytes(long budget) => budget / 8;

    /// <summary>The derived <c>max.connections</c>: a quarter of the budget, and never more than half the process's open-file limit.</summary>
    public static int MaxConnections(long budget, long openFileLimit)
    {
        long byMemory = budget / 4 / PerConnectionBytes;
        long byDescriptors = openFileLimit > 0 ? openFileLimit / 2 : long.MaxValue;
        return (int)Math.Clamp(Math.Min(byMemory, byDescriptors), 1, int.MaxValue);
    }

    /// <summary>The hard open-file limit (the soft one is raised to it at start); -1 where there is none.</summary>
    public static long OpenFileLimit() => ProcessLimits.OpenFileHardLimit();
}
