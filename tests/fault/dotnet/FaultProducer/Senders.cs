using System.Text;

namespace FaultProducer;

internal interface ISender : IDisposable
{
    string Describe();

    void Send(string value);

    /// <summary>Waits for outstanding sends; returns how many are still unresolved at the timeout.</summary>
    int Flush(TimeSpan timeout);
}

/// <summary>Confluent.Kafka 2.16 (librdkafka 2.16).</summary>
internal sealed class ConfluentSender : ISender
{
    private readonly Confluent.Kafka.IProducer<Confluent.Kafka.Null, byte[]> _producer;
    private readonly string _topic, _library;
    private readonly History _history;
    private long _outstanding;

    public ConfluentSender(string library, string bootstrap, string topic, bool idempotent, History history)
    {
        _topic = topic;
        _library = library;
        _history = history;
        var config = new Confluent.Kafka.ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Confluent.Kafka.Acks.All,
            LingerMs = 2,
            MessageTimeoutMs = 60000,
            RequestTimeoutMs = 5000,
            SocketTimeoutMs = 5000,
            TopicMetadataRefreshIntervalMs = 1000,
            EnableIdempotence = idempotent,
        };
        if (!idempotent) config.MessageSendMaxRetries = 0;
        _producer = new Confluent.Kafka.ProducerBuilder<Confluent.Kafka.Null, byte[]>(config).Build();
    }

    public string Describe() => $"Confluent.Kafka, librdkafka {Confluent.Kafka.Library.VersionString} from {_library}";

    public void Send(string value)
    {
        Interlocked.Increment(ref _outstanding);
        while (true)
        {
            try
            {
                _producer.Produce(_topic, new Confluent.Kafka.Message<Confluent.Kafka.Null, byte[]> { Value = Encoding.UTF8.GetBytes(value) }, report =>
                {
                    if (report.Error.IsError) _history.Fail(value, report.Error.ToString());
                    else _history.Ok(value, report.Partition.Value, report.Offset.Value);
                    Interlocked.Decrement(ref _outstanding);
                });
                return;
            }
            catch (Confluent.Kafka.ProduceException<Confluent.Kafka.Null, byte[]> full) when (full.Error.Code == Confluent.Kafka.ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(50));
            }
        }
    }

    public int Flush(TimeSpan timeout)
    {
        _producer.Flush(timeout);
        // Flush can return before the last delivery handler ran (tests/interop/README.md): wait for them briefly.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (Interlocked.Read(ref _outstanding) > 0 && DateTime.UtcNow < deadline) Thread.Sleep(10);
        return (int)Interlocked.Read(ref _outstanding);
    }

    public void Dispose() => _producer.Dispose();
}

/// <summary>Gregor.Client, the repository's own managed client.</summary>
internal sealed class GregorSender : ISender
{
    private readonly Gregor.Client.IProducer<Gregor.Client.Null, byte[]> _producer;
    private readonly string _topic;
    private readonly History _history;
    private readonly bool _idempotenceEffective;
    private long _outstanding;

    public GregorSender(string bootstrap, string topic, bool idempotent, History history)
    {
        _topic = topic;
        _history = history;
        var config = new Gregor.Client.ProducerConfig
        {
            BootstrapServers = bootstrap,
            Acks = Gregor.Client.Acks.All,
            LingerMs = 2,
            DeliveryTimeoutMs = 10000,
            RequestTimeoutMs = 5000,
            MetadataMaxAgeMs = 2000,
            EnableIdempotence = idempotent,
        };
        if (!idempotent) config.Retries = 0;
        _idempotenceEffective = config.IdempotenceEffective;
        _producer = new Gregor.Client.ProducerBuilder<Gregor.Client.Null, byte[]>(config)
            .SetKeySerializer(Gregor.Client.Serializers.Null)
            .SetValueSerializer(Gregor.Client.Serializers.ByteArray)
            .Build();
    }

    public string Describe() => $"Gregor.Client, idempotence {(_idempotenceEffective ? "on" : "off")}";

    public void Send(string value)
    {
        Interlocked.Increment(ref _outstanding);
        _producer.Produce(_topic, new Gregor.Client.Message<Gregor.Client.Null, byte[]> { Value = Encoding.UTF8.GetBytes(value) }, report =>
        {
            if (report.Error.IsError) _history.Fail(value, report.Error.ToString());
            else _history.Ok(value, report.Partition.Value, report.Offset.Value);
            Interlocked.Decrement(ref _outstanding);
        });
    }

    public int Flush(TimeSpan timeout)
    {
        int left = _producer.Flush(timeout);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (Interlocked.Read(ref _outstanding) > 0 && DateTime.UtcNow < deadline) Thread.Sleep(10);
        return Math.Max(left, (int)Interlocked.Read(ref _outstanding));
    }

    public void Dispose() => _producer.Dispose();
}
