using System.Globalization;

namespace Gregor.Client;

/// <summary>Consumer settings (Java client names and defaults).</summary>
public class ConsumerConfig : ClientConfig
{
    public ConsumerConfig()
    {
    }

    public ConsumerConfig(ClientConfig config)
        : base(config)
    {
    }

    public ConsumerConfig(IDictionary<string, string> config)
        : base(config)
    {
    }

    /// <summary>Checks the settings for a consumer; see <see cref="Config.Validate(ConfigScope)"/>.</summary>
    public IReadOnlyList<string> Validate() => Validate(ConfigScope.Consumer);

    /// <summary><c>group.id</c>: the consumer group; unset means no group (assign only, no commits).</summary>
    public string? GroupId
    {
        get => GetString("group.id");
        set => Set("group.id", value);
    }

    /// <summary><c>group.instance.id</c>: a static member id. Default unset.</summary>
    public string? GroupInstanceId
    {
        get => GetString("group.instance.id");
        set => Set("group.instance.id", value);
    }

    /// <summary><c>fetch.min.bytes</c>: the broker waits for this much data. Default 1.</summary>
    public int FetchMinBytes
    {
        get => GetInt("fetch.min.bytes");
        set => SetInt("fetch.min.bytes", value);
    }

    /// <summary><c>fetch.max.bytes</c>: the most data one fetch returns. Default 52428800.</summary>
    public int FetchMaxBytes
    {
        get => GetInt("fetch.max.bytes");
        set => SetInt("fetch.max.bytes", value);
    }

    /// <summary><c>fetch.max.wait.ms</c>: how long the broker may hold a fetch for fetch.min.bytes. Default 500.</summary>
    public int FetchWaitMaxMs
    {
        get => GetInt("fetch.max.wait.ms");
        set => SetInt("fetch.max.wait.ms", value);
    }

    /// <summary><c>max.partition.fetch.bytes</c>: the most data per partition per fetch. Default 1048576.</summary>
    public int MaxPartitionFetchBytes
    {
        get => GetInt("max.partition.fetch.bytes");
        set => SetInt("max.partition.fetch.bytes", value);
    }

    /// <summary><c>max.poll.records</c>. Default 500.</summary>
    public int MaxPollRecords
    {
        get => GetInt("max.poll.records");
        set => SetInt("max.poll.records", value);
    }

    /// <summary><c>auto.offset.reset</c>: latest (default), earliest, or none (fail).</summary>
    public AutoOffsetReset AutoOffsetReset
    {
        get => GetChoice("auto.offset.reset") switch
        {
            "earliest" or "smallest" or "beginning" => AutoOffsetReset.Earliest,
            "none" or "error" => AutoOffsetReset.Error,
            _ => AutoOffsetReset.Latest,
        };
        set => Set("auto.offset.reset", value switch
        {
            AutoOffsetReset.Earliest => "earliest",
            AutoOffsetReset.Error => "none",
            _ => "latest",
        });
    }

    /// <summary><c>enable.auto.commit</c>. Default true.</summary>
    public bool EnableAutoCommit
    {
        get => GetBool("enable.auto.commit");
        set => SetBool("enable.auto.commit", value);
    }

    /// <summary><c>auto.commit.interval.ms</c>. Default 5000.</summary>
    public int AutoCommitIntervalMs
    {
        get => GetInt("auto.commit.interval.ms");
        set => SetInt("auto.commit.interval.ms", value);
    }

    /// <summary><c>session.timeout.ms</c>. Default 45000.</summary>
    public int SessionTimeoutMs
    {
        get => GetInt("session.timeout.ms");
        set => SetInt("session.timeout.ms", value);
    }

    /// <summary><c>heartbeat.interval.ms</c>. Default 3000.</summary>
    public int HeartbeatIntervalMs
    {
        get => GetInt("heartbeat.interval.ms");
        set => SetInt("heartbeat.interval.ms", value);
    }

    /// <summary><c>max.poll.interval.ms</c>. Default 300000.</summary>
    public int MaxPollIntervalMs
    {
        get => GetInt("max.poll.interval.ms");
        set => SetInt("max.poll.interval.ms", value);
    }

    /// <summary><c>partition.assignment.strategy</c>: the preferred (first) strategy. Default range.</summary>
    public PartitionAssignmentStrategy PartitionAssignmentStrategy
    {
        get => PartitionAssignmentStrategies[0];
        set => Set("partition.assignment.strategy", StrategyName(value));
    }

    /// <summary>Every strategy listed in <c>partition.assignment.strategy</c>, in order of preference.</summary>
    public IReadOnlyList<PartitionAssignmentStrategy> PartitionAssignmentStrategies
    {
        get
        {
            string raw = GetString("partition.assignment.strategy")!;
            if (ConfigDefinitions.ByName["partition.assignment.strategy"].Check(raw) is { } why)
                throw new ConfigException("partition.assignment.strategy", $"Setting 'partition.assignment.strategy': {why}.");
            return ConfigDefinition.SplitList(raw).Select(s => s.ToLowerInvariant() switch
            {
                "roundrobin" or "org.apache.kafka.clients.consumer.roundrobinassignor" => PartitionAssignmentStrategy.RoundRobin,
                "cooperative-sticky" or "org.apache.kafka.clients.consumer.cooperativestickyassignor" => PartitionAssignmentStrategy.CooperativeSticky,
                _ => PartitionAssignmentStrategy.Range,
            }).ToArray();
        }
    }

    private static string StrategyName(PartitionAssignmentStrategy strategy) => strategy switch
    {
        PartitionAssignmentStrategy.RoundRobin => "roundrobin",
        PartitionAssignmentStrategy.CooperativeSticky => "cooperative-sticky",
        _ => "range",
    };

    /// <summary><c>isolation.level</c>: read_uncommitted (default) or read_committed.</summary>
    public IsolationLevel IsolationLevel
    {
        get => GetChoice("isolation.level") == "read_committed" ? IsolationLevel.ReadCommitted : IsolationLevel.ReadUncommitted;
        set => Set("isolation.level", value == IsolationLevel.ReadCommitted ? "read_committed" : "read_uncommitted");
    }

    /// <summary><c>check.crcs</c>: verify each fetched batch's CRC32C. Default true.</summary>
    public bool CheckCrcs
    {
        get => GetBool("check.crcs");
        set => SetBool("check.crcs", value);
    }

    /// <summary><c>enable.partition.eof</c> (librdkafka): report reaching a partition's end. Default false.</summary>
    public bool EnablePartitionEof
    {
        get => GetBool("enable.partition.eof");
        set => SetBool("enable.partition.eof", value);
    }

    /// <summary>
    /// <c>enable.auto.offset.store</c> (librdkafka): store each record's offset + 1 as it is returned by Consume, for
    /// Commit() and auto-commit to commit; when false, only StoreOffset stores. Default true.
    /// </summary>
    public bool EnableAutoOffsetStore
    {
        get => GetBool("enable.auto.offset.store");
        set => SetBool("enable.auto.offset.store", value);
    }

    /// <summary><c>default.api.timeout.ms</c>: the timeout of blocking calls without one. Default 60000.</summary>
    public int DefaultApiTimeoutMs
    {
        get => GetInt("default.api.timeout.ms");
        set => SetInt("default.api.timeout.ms", value);
    }

    private protected override void CheckCombinations(ConfigScope scope, List<ConfigException> problems)
    {
        if (HeartbeatIntervalMs >= SessionTimeoutMs)
        {
            problems.Add(new ConfigException("heartbeat.interval.ms", string.Create(CultureInfo.InvariantCulture,
                $"Setting 'heartbeat.interval.ms' ({HeartbeatIntervalMs}) must be below session.timeout.ms ({SessionTimeoutMs}).")));
        }
        if (GroupId is null && IsSet("enable.auto.commit") && EnableAutoCommit)
            problems.Add(new ConfigException("enable.auto.commit", "Setting 'enable.auto.commit' needs a group.id."));
        if (GroupId is { Length: 0 })
            problems.Add(new ConfigException("group.id", "Setting 'group.id' must not be empty (leave it unset for no group)."));
    }
}
