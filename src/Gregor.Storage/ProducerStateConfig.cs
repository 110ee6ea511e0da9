namespace Gregor.Storage;

/// <summary>
/// The broker-wide settings of producer state, shared by every log of a process: how long a silent producer is
/// remembered (Kafka's <c>producer.id.expiration.ms</c>) and the cap on producer entries all logs hold together.
/// </summary>
public sealed class ProducerStateConfig
{
    /// <summary>Kafka's name and default (1 day).</summary>
    public const string ExpirationMsName = "producer.id.expiration.ms";
    public const long DefaultExpirationMs = 24L * 60 * 60 * 1000;

    /// <summary>
    /// Gregor's own (Kafka has no cap; KIP-936 throttles the rate of new producer ids per principal instead): the
    /// producer entries all partitions of a broker may hold. Past it a partition's leader refuses a producer id it
    /// does not know; known producers go on.
    /// </summary>
    public const string MaxEntriesName = "producer.state.max.entries";

    /// <summary>
    /// 500,000 entries: about 110 MB at the measured 222 bytes an entry costs (ProducerStateBoundsTests), far above what
    /// real producers need (one entry per producer and partition it writes) and far below what invented ids could cost.
    /// </summary>
    public const int DefaultMaxEntries = 500_000;

    private int _entries;

    public ProducerStateConfig(long expirationMs = DefaultExpirationMs, int maxEntries = DefaultMaxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expirationMs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        ExpirationMs = expirationMs;
        MaxEntries = maxEntries;
    }

    /// <summary>The config logs use unless given another: Kafka's expiry and Gregor's default cap, for the whole process.</summary>
    public static ProducerStateConfig Shared { get; } = new();

    public long ExpirationMs { get; }

    public int MaxEntries { get; }

    /// <summary>Producer entries all logs using this config hold now. Replication and loading may take it past the cap.</summary>
    public int Entries => Volatile.Read(ref _entries);

    /// <summary>Whether a leader may start tracking one more producer id.</summary>
    internal bool HasRoomForNewProducer => Volatile.Read(ref _entries) < MaxEntries;

    internal void Added(int count) => Interlocked.Add(ref _entries, count);

    internal void Removed(int count) => Interlocked.Add(ref _entries, -count);

    public override string ToString() => $"{ExpirationMsName}={ExpirationMs}, {MaxEntriesName}={MaxEntries} ({Entries} held)";
}
