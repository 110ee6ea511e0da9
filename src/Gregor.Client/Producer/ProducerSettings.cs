using Gregor.Client.Network;
using WireCompression = Gregor.Protocol.Compression.CompressionType;
using Gregor.Net;

namespace Gregor.Client.Producer;

/// <summary>The producer's settings, by Kafka's client config names (librdkafka's aliases where they differ).</summary>
internal sealed record ProducerSettings
{
    public required ConnectionSettings Connection { get; init; }

    public required IReadOnlyList<BrokerEndpoint> Bootstrap { get; init; }

    /// <summary>acks: 0, 1, or -1 (all).</summary>
    public short Acks { get; init; } = -1;

    public TimeSpan Linger { get; init; } = TimeSpan.FromMilliseconds(5);

    public int BatchSize { get; init; } = 16_384;

    public WireCompression Compression { get; init; }

    public int? CompressionLevel { get; init; }

    public int MaxInFlightPerConnection { get; init; } = 5;

    public int Retries { get; init; } = int.MaxValue;

    public TimeSpan RetryBackoff { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan DeliveryTimeout { get; init; } = TimeSpan.FromMinutes(2);

    public long BufferMemory { get; init; } = 32L * 1024 * 1024;

    public TimeSpan MaxBlock { get; init; } = TimeSpan.FromSeconds(60);

    public int MaxRequestSize { get; init; } = 1_048_576;

    public TimeSpan MetadataMaxAge { get; init; } = TimeSpan.FromMinutes(5);

    public bool AllowAutoTopicCreation { get; init; } = true;

    public bool PartitionerIgnoreKeys { get; init; }

    /// <summary>Whether the producer is idempotent (producer id, epoch and sequence numbers in every batch).</summary>
    public bool Idempotent { get; init; }

    /// <summary>transaction.timeout.ms, sent with InitProducerId (a broker looks at it only for transactional producers).</summary>
    public int TransactionTimeoutMs { get; init; } = 60_000;

    /// <summary>
    /// Whether <paramref name="config"/> makes an idempotent producer, by the Java client's rule: enable.idempotence
    /// defaults to true, but left unset it is quietly off unless acks=all, retries > 0 and
    /// max.in.flight.requests.per.connection ≤ 5; set to true with any of those otherwise, it is an error.
    /// </summary>
    /// <exception cref="ArgumentException">enable.idempotence=true with settings it cannot work with.</exception>
    public static bool IsIdempotent(short acks, int retries, int maxInFlight, bool? enableIdempotence)
    {
        bool compatible = acks == -1 && retries > 0 && maxInFlight <= 5;
        if (enableIdempotence is not { } requested) return compatible;
        if (!requested) return false;
        if (!compatible)
        {
            throw new ArgumentException(acks != -1 ? "enable.idempotence=true needs acks=all"
                : retries <= 0 ? "enable.idempotence=true needs retries > 0"
                : "enable.idempotence=true needs max.in.flight.requests.per.connection ≤ 5");
        }
        return true;
    }

    public static ProducerSettings From(IEnumerable<KeyValuePair<string, string>> config)
    {
        var c = new ConfigReader(config);
        if (c.String("transactional.id") is not null)
            throw new ArgumentException("transactional.id: transactions are not supported by this producer yet");
        var connection = c.ConnectionSettings();
        short acks = ParseAcks(c.String("acks", c.String("request.required.acks", "all")));
        int maxInFlight = c.Int("max.in.flight.requests.per.connection", c.Int("max.in.flight", 5, 1), 1, 1_000_000);
        int retries = c.Int("retries", c.Int("message.send.max.retries", int.MaxValue, 0), 0);
        return new ProducerSettings
        {
            Idempotent = IsIdempotent(acks, retries, maxInFlight,
                c.String("enable.idempotence") is null ? null : c.Bool("enable.idempotence", true)),
            TransactionTimeoutMs = c.Int("transaction.timeout.ms", 60_000, 1),
            Connection = connection,
            Bootstrap = c.BootstrapServers(),
            Acks = acks,
            Linger = c.Millis("linger.ms", c.Int("queue.buffering.max.ms", 5, 0), 0),
            BatchSize = c.Int("batch.size", 16_384, 1, 1 << 30),
            Compression = ParseCompression(c.String("compression.type", c.String("compression.codec", "none"))),
            CompressionLevel = c.String("compression.level") is null ? null : c.Int("compression.level", 0, -1, 22) is var l && l >= 0 ? l : null,
            MaxInFlightPerConnection = maxInFlight,
            Retries = retries,
            RetryBackoff = c.Millis("retry.backoff.ms", 100, 1),
            DeliveryTimeout = c.Millis("delivery.timeout.ms", c.Int("message.timeout.ms", 120_000, 1), 1),
            BufferMemory = c.Long("buffer.memory", c.Long("queue.buffering.max.kbytes", 32L * 1024, 1) * 1024, 1024),
            MaxBlock = c.Millis("max.block.ms", 60_000, 0),
            MaxRequestSize = c.Int("max.request.size", c.Int("message.max.bytes", 1_048_576, 1000), 1000),
            MetadataMaxAge = c.Millis("metadata.max.age.ms", 300_000, 1),
            AllowAutoTopicCreation = c.Bool("allow.auto.create.topics", true),
            PartitionerIgnoreKeys = c.Bool("partitioner.ignore.keys", false),
        };
    }

    private static short ParseAcks(string text) => text.Trim().ToLowerInvariant() switch
    {
        "all" or "-1" => -1,
        "0" => 0,
        "1" => 1,
        _ => throw new ArgumentException($"acks={text} is not 0, 1, all or -1"),
    };

    private static WireCompression ParseCompression(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" => WireCompression.None,
        "gzip" => WireCompression.Gzip,
        "snappy" => WireCompression.Snappy,
        "lz4" => WireCompression.Lz4,
        "zstd" => WireCompression.Zstd,
        _ => throw new ArgumentException($"compression.type={text} is not none, gzip, snappy, lz4 or zstd"),
    };
}
