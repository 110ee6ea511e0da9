using System.Globalization;

namespace Gregor.Client;

/// <summary>Producer settings (Java client names and defaults).</summary>
public class ProducerConfig : ClientConfig
{
    public ProducerConfig()
    {
    }

    public ProducerConfig(ClientConfig config)
        : base(config)
    {
    }

    public ProducerConfig(IDictionary<string, string> config)
        : base(config)
    {
    }

    /// <summary>Checks the settings for a producer; see <see cref="Config.Validate(ConfigScope)"/>.</summary>
    public IReadOnlyList<string> Validate() => Validate(ConfigScope.Producer);

    /// <summary><c>acks</c>: all (default), 1 (leader) or 0 (none).</summary>
    public Acks Acks
    {
        get => GetChoice("acks") switch { "0" => Acks.None, "1" => Acks.Leader, _ => Acks.All };
        set => Set("acks", value switch { Acks.None => "0", Acks.Leader => "1", _ => "all" });
    }

    /// <summary><c>linger.ms</c>: how long a batch waits for more records. Default 5 (Kafka 4.0).</summary>
    public int LingerMs
    {
        get => GetInt("linger.ms");
        set => SetInt("linger.ms", value);
    }

    /// <summary><c>batch.size</c>: the most bytes in one partition's batch. Default 16384.</summary>
    public int BatchSize
    {
        get => GetInt("batch.size");
        set => SetInt("batch.size", value);
    }

    /// <summary><c>compression.type</c>: none (default), gzip, snappy, lz4 or zstd.</summary>
    public CompressionType CompressionType
    {
        get => GetChoice("compression.type") switch
        {
            "gzip" => CompressionType.Gzip,
            "snappy" => CompressionType.Snappy,
            "lz4" => CompressionType.Lz4,
            "zstd" => CompressionType.Zstd,
            _ => CompressionType.None,
        };
        set => Set("compression.type", value.ToString().ToLowerInvariant());
    }

    /// <summary><c>max.in.flight.requests.per.connection</c>. Default 5.</summary>
    public int MaxInFlight
    {
        get => GetInt("max.in.flight.requests.per.connection");
        set => SetInt("max.in.flight.requests.per.connection", value);
    }

    /// <summary><c>retries</c>: how often a failed batch is retried within the delivery timeout. Default int.MaxValue.</summary>
    public int Retries
    {
        get => GetInt("retries");
        set => SetInt("retries", value);
    }

    /// <summary><c>delivery.timeout.ms</c>: the most time from send to a delivery report. Default 120000.</summary>
    public int DeliveryTimeoutMs
    {
        get => GetInt("delivery.timeout.ms");
        set => SetInt("delivery.timeout.ms", value);
    }

    /// <summary>librdkafka's name for <see cref="DeliveryTimeoutMs"/>.</summary>
    public int MessageTimeoutMs
    {
        get => DeliveryTimeoutMs;
        set => DeliveryTimeoutMs = value;
    }

    /// <summary><c>buffer.memory</c>: bytes of records waiting to be sent before Produce blocks. Default 33554432.</summary>
    public long BufferMemory
    {
        get => GetLong("buffer.memory");
        set => SetInt("buffer.memory", value);
    }

    /// <summary><c>max.block.ms</c>: how long Produce may block for metadata or buffer space. Default 60000.</summary>
    public int MaxBlockMs
    {
        get => GetInt("max.block.ms");
        set => SetInt("max.block.ms", value);
    }

    /// <summary><c>max.request.size</c>: the largest request (and record) the producer sends. Default 1048576.</summary>
    public int MaxRequestSize
    {
        get => GetInt("max.request.size");
        set => SetInt("max.request.size", value);
    }

    /// <summary>
    /// <c>enable.idempotence</c>: exactly-once per partition with producer ids and sequences. Default true, as the
    /// Java client's. Reads what a producer built from these settings does: left unset, idempotence is quietly off
    /// unless acks=all, retries > 0 and max.in.flight.requests.per.connection ≤ 5 (the Java client's rule); set to
    /// true with any of those otherwise, the producer refuses the settings (<see cref="Validate"/> says why).
    /// </summary>
    public bool EnableIdempotence
    {
        get => IsSet("enable.idempotence") ? GetBool("enable.idempotence") : Acks == Acks.All && Retries > 0 && MaxInFlight <= 5;
        set => SetBool("enable.idempotence", value);
    }

    /// <summary>Whether idempotence is really on: the same as <see cref="EnableIdempotence"/>, which already reports the effective setting.</summary>
    public bool IdempotenceEffective => EnableIdempotence;

    /// <summary><c>partitioner.ignore.keys</c>: use the sticky partitioner even for keyed records. Default false.</summary>
    public bool PartitionerIgnoreKeys
    {
        get => GetBool("partitioner.ignore.keys");
        set => SetBool("partitioner.ignore.keys", value);
    }

    /// <summary><c>transactional.id</c>. Default unset.</summary>
    public string? TransactionalId
    {
        get => GetString("transactional.id");
        set => Set("transactional.id", value);
    }

    /// <summary><c>transaction.timeout.ms</c>. Default 60000.</summary>
    public int TransactionTimeoutMs
    {
        get => GetInt("transaction.timeout.ms");
        set => SetInt("transaction.timeout.ms", value);
    }

    private protected override void CheckCombinations(ConfigScope scope, List<ConfigException> problems)
    {
        if (IsSet("enable.idempotence") && EnableIdempotence)
        {
            if (Acks != Acks.All)
                problems.Add(new ConfigException("acks", "Setting 'acks' must be all when enable.idempotence is true."));
            if (MaxInFlight > 5)
                problems.Add(new ConfigException("max.in.flight.requests.per.connection",
                    "Setting 'max.in.flight.requests.per.connection' must be at most 5 when enable.idempotence is true."));
            if (Retries == 0)
                problems.Add(new ConfigException("retries", "Setting 'retries' must be above 0 when enable.idempotence is true."));
        }
        if (IsSet("delivery.timeout.ms") && (long)DeliveryTimeoutMs < (long)LingerMs + RequestTimeoutMs)
        {
            problems.Add(new ConfigException("delivery.timeout.ms", string.Create(CultureInfo.InvariantCulture,
                $"Setting 'delivery.timeout.ms' ({DeliveryTimeoutMs}) must be at least linger.ms + request.timeout.ms ({(long)LingerMs + RequestTimeoutMs}).")));
        }
        if (TransactionalId is not null && IsSet("enable.idempotence") && !EnableIdempotence)
            problems.Add(new ConfigException("enable.idempotence", "Setting 'enable.idempotence' cannot be false when transactional.id is set."));
    }
}
