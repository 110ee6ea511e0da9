using Gregor.Client.Groups;
using Gregor.Client.Network;
using Gregor.Net;

namespace Gregor.Client.Consumer;

/// <summary>The consumer's settings, read from Kafka's client config names once the config validated.</summary>
internal sealed record ConsumerSettings
{
    public required ConnectionSettings Connection { get; init; }

    public required IReadOnlyList<BrokerEndpoint> Bootstrap { get; init; }

    public string? GroupId { get; init; }

    /// <summary>Group membership's settings (session, heartbeat, poll interval, assignors); null without a group.id.</summary>
    public MembershipSettings? Membership { get; init; }

    public int FetchMinBytes { get; init; } = 1;

    public int FetchMaxBytes { get; init; } = 52_428_800;

    public int FetchMaxWaitMs { get; init; } = 500;

    public int MaxPartitionFetchBytes { get; init; } = 1_048_576;

    public AutoOffsetReset AutoOffsetReset { get; init; } = AutoOffsetReset.Latest;

    /// <summary>enable.auto.commit, and only with a group.id (there is nothing to commit to without one).</summary>
    public bool EnableAutoCommit { get; init; }

    public TimeSpan AutoCommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    public bool EnableAutoOffsetStore { get; init; } = true;

    /// <summary>isolation.level as the wire has it: 0 read_uncommitted, 1 read_committed.</summary>
    public sbyte IsolationLevel { get; init; }

    public bool CheckCrcs { get; init; } = true;

    public bool EnablePartitionEof { get; init; }

    public TimeSpan DefaultApiTimeout { get; init; } = TimeSpan.FromSeconds(60);

    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MetadataMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    public bool AllowAutoTopicCreation { get; init; } = true;

    public string ClientRack { get; init; } = "";

    /// <summary>The largest records section a compressed batch may decompress to; a bigger one is reported as corrupt rather than allocated.</summary>
    public int MaxDecompressedBatchBytes { get; init; } = 256 * 1024 * 1024;

    public static ConsumerSettings From(ConsumerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = new ConfigReader(config);
        string? groupId = c.String("group.id");
        return new ConsumerSettings
        {
            Connection = c.ConnectionSettings(),
            Bootstrap = c.BootstrapServers(),
            GroupId = groupId,
            FetchMinBytes = c.Int("fetch.min.bytes", 1, 0),
            FetchMaxBytes = c.Int("fetch.max.bytes", 52_428_800, 1),
            FetchMaxWaitMs = c.Int("fetch.max.wait.ms", 500, 0),
            MaxPartitionFetchBytes = c.Int("max.partition.fetch.bytes", 1_048_576, 1),
            AutoOffsetReset = config.AutoOffsetReset,
            EnableAutoCommit = groupId is not null && c.Bool("enable.auto.commit", true),
            AutoCommitInterval = c.Millis("auto.commit.interval.ms", 5000, 1),
            EnableAutoOffsetStore = c.Bool("enable.auto.offset.store", true),
            IsolationLevel = (sbyte)(config.IsolationLevel == Client.IsolationLevel.ReadCommitted ? 1 : 0),
            CheckCrcs = c.Bool("check.crcs", true),
            EnablePartitionEof = c.Bool("enable.partition.eof", false),
            DefaultApiTimeout = c.Millis("default.api.timeout.ms", 60_000, 0),
            RetryBackoff = c.Millis("retry.backoff.ms", 100, 1),
            MetadataMaxAge = c.Millis("metadata.max.age.ms", 300_000, 1),
            AllowAutoTopicCreation = c.Bool("allow.auto.create.topics", true),
            ClientRack = c.String("client.rack", ""),
            Membership = groupId is null ? null : MembershipSettings.From(config),
        };
    }
}
