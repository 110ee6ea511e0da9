using System.Buffers.Binary;
using Gregor.Broker.Configuration;
using Gregor.Broker.Groups;
using Gregor.Protocol;

namespace Gregor.Broker.Tests.Groups;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class FakeClock : TimeProvider
{
    private long _nowMs = 1_700_000_000_000;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _nowMs));

    public void Advance(long ms) => Interlocked.Add(ref _nowMs, ms);
}

/// <summary>The coordinator's log kept in memory, every append recorded; it can be told to fail.</summary>
internal sealed class MemoryGroupLog : IGroupLog
{
    private readonly Dictionary<int, List<GroupLogRecord>> _partitions = [];

    public ErrorCode FailWith { get; set; } = ErrorCode.None;

    public int Appends { get; private set; }

    public ErrorCode Append(int partition, IReadOnlyList<GroupLogRecord> records, long nowMs)
    {
        if (FailWith != ErrorCode.None) return FailWith;
        Appends++;
        if (!_partitions.TryGetValue(partition, out var list)) _partitions[partition] = list = [];
        list.AddRange(records);
        return ErrorCode.None;
    }

    public IEnumerable<GroupLogRecord> ReadAll(int partition) => _partitions.TryGetValue(partition, out var list) ? list.ToList() : [];

    public IReadOnlyList<GroupLogRecord> Records(int partition) => _partitions.TryGetValue(partition, out var list) ? list : [];
}

internal static class Coordinators
{
    public static readonly GroupCoordinatorConfig Config = new()
    {
        OffsetsTopicNumPartitions = 4,
        GroupInitialRebalanceDelayMs = 3000,
        GroupMinSessionTimeoutMs = 6000,
        GroupMaxSessionTimeoutMs = 300_000,
    };

    /// <summary>A coordinator owning every partition, loaded from <paramref name="log"/>.</summary>
    public static GroupCoordinator Start(MemoryGroupLog log, FakeClock clock, GroupCoordinatorConfig? config = null, int memberIdSeed = 0)
    {
        config ??= Config;
        var coordinator = new GroupCoordinator(config, log, clock, random: new Random(memberIdSeed));
        for (int p = 0; p < config.OffsetsTopicNumPartitions; p++)
            coordinator.LoadPartition(p);
        return coordinator;
    }

    public static JoinGroupArgs Join(string group, string memberId = "", string? instanceId = null, int sessionMs = 10_000, int rebalanceMs = 30_000,
        string protocol = "range", byte[]? metadata = null, bool requireKnownId = true) =>
        new(group, memberId, instanceId, "consumer", [(protocol, metadata ?? [])], sessionMs, rebalanceMs, "client", "/127.0.0.1", requireKnownId);

    public static byte[] Partitions(IEnumerable<int> partitions)
    {
        var list = partitions.ToList();
        var bytes = new byte[list.Count * 4];
        for (int i = 0; i < list.Count; i++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(i * 4), list[i]);
        return bytes;
    }

    public static List<int> ReadPartitions(byte[] assignment)
    {
        var list = new List<int>();
        for (int i = 0; i + 4 <= assignment.Length; i += 4) list.Add(BinaryPrimitives.ReadInt32BigEndian(assignment.AsSpan(i)));
        return list;
    }

    /// <summary>The consumer protocol's subscription bytes (version 0, topics, no user data).</summary>
    public static byte[] Subscription(params string[] topics)
    {
        var bytes = new List<byte> { 0, 0 };
        bytes.AddRange(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(topics.Length)));
        foreach (string t in topics)
        {
            bytes.AddRange(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness((short)t.Length)));
            bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(t));
        }
        bytes.AddRange(new byte[] { 0xff, 0xff, 0xff, 0xff });
        return bytes.ToArray();
    }
}
