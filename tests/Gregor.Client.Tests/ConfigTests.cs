namespace Gregor.Client.Tests;

public sealed class ConfigTests
{
    [Fact]
    public void Unset_settings_read_as_the_java_client_defaults()
    {
        var producer = new ProducerConfig { BootstrapServers = "localhost:9092" };
        Assert.Equal(Acks.All, producer.Acks);
        Assert.Equal(5, producer.LingerMs);
        Assert.Equal(16384, producer.BatchSize);
        Assert.Equal(CompressionType.None, producer.CompressionType);
        Assert.Equal(5, producer.MaxInFlight);
        Assert.Equal(int.MaxValue, producer.Retries);
        Assert.Equal(100, producer.RetryBackoffMs);
        Assert.Equal(120000, producer.DeliveryTimeoutMs);
        Assert.Equal(30000, producer.RequestTimeoutMs);
        Assert.Equal(33554432L, producer.BufferMemory);
        Assert.Equal(60000, producer.MaxBlockMs);
        Assert.Equal(300000, producer.MetadataMaxAgeMs);
        Assert.Equal(50, producer.ReconnectBackoffMs);
        Assert.True(producer.EnableIdempotence);

        var consumer = new ConsumerConfig { BootstrapServers = "localhost:9092" };
        Assert.Equal(1, consumer.FetchMinBytes);
        Assert.Equal(52428800, consumer.FetchMaxBytes);
        Assert.Equal(500, consumer.FetchWaitMaxMs);
        Assert.Equal(1048576, consumer.MaxPartitionFetchBytes);
        Assert.Equal(AutoOffsetReset.Latest, consumer.AutoOffsetReset);
        Assert.Null(consumer.GroupId);
        Assert.True(consumer.EnableAutoCommit);
        Assert.Equal(5000, consumer.AutoCommitIntervalMs);
        Assert.Equal(45000, consumer.SessionTimeoutMs);
        Assert.Equal(3000, consumer.HeartbeatIntervalMs);
        Assert.Equal(300000, consumer.MaxPollIntervalMs);
        Assert.Equal([PartitionAssignmentStrategy.Range, PartitionAssignmentStrategy.CooperativeSticky], consumer.PartitionAssignmentStrategies);
        Assert.Equal(IsolationLevel.ReadUncommitted, consumer.IsolationLevel);
        Assert.True(consumer.CheckCrcs);
    }

    [Fact]
    public void Typed_properties_write_kafka_names_and_values()
    {
        var config = new ProducerConfig
        {
            BootstrapServers = "a:1,b:2",
            Acks = Acks.Leader,
            CompressionType = CompressionType.Zstd,
            LingerMs = 20,
            EnableIdempotence = false,
        };
        Assert.Equal("1", config.Get("acks"));
        Assert.Equal("zstd", config.Get("compression.type"));
        Assert.Equal("20", config.Get("linger.ms"));
        Assert.Equal("false", config.Get("enable.idempotence"));
        Assert.Equal("a:1,b:2", config.Get("bootstrap.servers"));
        Assert.Empty(config.Validate());
    }

    [Fact]
    public void String_values_are_parsed_leniently_as_kafka_does()
    {
        var config = new ProducerConfig(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = "PLAINTEXT://localhost:9092",
            ["acks"] = "-1",
            ["compression.type"] = "LZ4",
            ["enable.idempotence"] = "TRUE",
        });
        Assert.Empty(config.Validate());
        Assert.Equal(Acks.All, config.Acks);
        Assert.Equal(CompressionType.Lz4, config.CompressionType);
        Assert.True(config.EnableIdempotence);
    }

    [Fact]
    public void Librdkafka_aliases_land_on_the_kafka_name()
    {
        var config = new ProducerConfig();
        config.Set("queue.buffering.max.ms", "7");
        config.Set("message.timeout.ms", "90000");
        config.Set("metadata.broker.list", "h:9092");
        Assert.Equal(7, config.LingerMs);
        Assert.Equal(90000, config.DeliveryTimeoutMs);
        Assert.Equal("h:9092", config.BootstrapServers);
        Assert.Equal("7", config.Get("linger.ms"));
    }

    [Fact]
    public void Unknown_key_is_rejected_with_its_name_and_a_suggestion()
    {
        var config = new ProducerConfig { BootstrapServers = "localhost:9092" };
        config.Set("linger.msec", "5");
        var e = Assert.Throws<ConfigException>(() => config.Validate());
        Assert.Equal("linger.msec", e.Key);
        Assert.Contains("Unknown setting 'linger.msec'", e.Message, StringComparison.Ordinal);
        Assert.Contains("did you mean 'linger.ms'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_key_far_from_any_name_gets_no_suggestion()
    {
        var config = new ProducerConfig { BootstrapServers = "localhost:9092" };
        config.Set("zzzzzzzzzzzzzzzzzzz", "1");
        var e = Assert.Throws<ConfigException>(() => config.Validate());
        Assert.DoesNotContain("did you mean", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("linger.ms", "-1", "below the minimum 0")]
    [InlineData("linger.ms", "soon", "not a whole number")]
    [InlineData("batch.size", "99999999999", "not a whole number")]
    [InlineData("acks", "2", "not one of")]
    [InlineData("compression.type", "brotli", "not one of")]
    [InlineData("enable.idempotence", "yes", "not true or false")]
    [InlineData("max.in.flight.requests.per.connection", "0", "below the minimum 1")]
    [InlineData("bootstrap.servers", "localhost", "not host:port")]
    [InlineData("bootstrap.servers", "localhost:70000", "not host:port")]
    [InlineData("security.protocol", "SASL_SSL", "not one of plaintext")]
    public void Bad_values_name_the_setting(string key, string value, string why)
    {
        var config = new ProducerConfig { BootstrapServers = "localhost:9092" };
        config.Set(key, value);
        var e = Assert.Throws<ConfigException>(() => config.Validate());
        Assert.Equal(key, e.Key);
        Assert.Contains($"'{key}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Typed_getter_on_a_bad_value_throws_naming_the_setting()
    {
        var config = new ConsumerConfig();
        config.Set("fetch.min.bytes", "lots");
        var e = Assert.Throws<ConfigException>(() => config.FetchMinBytes);
        Assert.Equal("fetch.min.bytes", e.Key);
    }

    [Fact]
    public void All_problems_are_reported_at_once()
    {
        var config = new ProducerConfig();
        config.Set("linger.ms", "-5");
        config.Set("acks", "many");
        var e = Assert.Throws<ConfigException>(() => config.Validate());
        Assert.Equal(3, e.Problems.Count); // and bootstrap.servers is missing
        Assert.Contains(e.Problems, p => p.Key == "bootstrap.servers");
    }

    [Fact]
    public void A_setting_of_another_client_kind_is_a_warning_not_an_error()
    {
        var config = new ProducerConfig { BootstrapServers = "localhost:9092" };
        config.Set("group.id", "g");
        var warnings = config.Validate();
        Assert.Single(warnings);
        Assert.Contains("group.id", warnings[0], StringComparison.Ordinal);
        Assert.Contains("producer", warnings[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Explicit_idempotence_conflicting_with_acks_is_an_error_default_idempotence_yields()
    {
        var explicitly = new ProducerConfig { BootstrapServers = "h:1", EnableIdempotence = true, Acks = Acks.Leader };
        var e = Assert.Throws<ConfigException>(() => explicitly.Validate());
        Assert.Equal("acks", e.Key);

        var byDefault = new ProducerConfig { BootstrapServers = "h:1", Acks = Acks.Leader };
        Assert.Empty(byDefault.Validate());
        Assert.False(byDefault.IdempotenceEffective);
        Assert.True(new ProducerConfig { BootstrapServers = "h:1" }.IdempotenceEffective);
    }

    [Fact]
    public void Delivery_timeout_below_linger_plus_request_timeout_is_rejected()
    {
        var config = new ProducerConfig { BootstrapServers = "h:1", DeliveryTimeoutMs = 1000, LingerMs = 10, RequestTimeoutMs = 5000 };
        var e = Assert.Throws<ConfigException>(() => config.Validate());
        Assert.Equal("delivery.timeout.ms", e.Key);
    }

    [Fact]
    public void Consumer_heartbeat_must_be_below_session_timeout()
    {
        var config = new ConsumerConfig { BootstrapServers = "h:1", GroupId = "g", HeartbeatIntervalMs = 10000, SessionTimeoutMs = 6000 };
        var e = Assert.Throws<ConfigException>(() => config.Validate());
        Assert.Equal("heartbeat.interval.ms", e.Key);
    }

    [Fact]
    public void Consumer_accepts_java_assignor_class_names_and_librdkafka_reset_names()
    {
        var config = new ConsumerConfig(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = "h:1",
            ["partition.assignment.strategy"] = "org.apache.kafka.clients.consumer.RoundRobinAssignor, range",
            ["auto.offset.reset"] = "smallest",
        });
        Assert.Empty(config.Validate());
        Assert.Equal(PartitionAssignmentStrategy.RoundRobin, config.PartitionAssignmentStrategy);
        Assert.Equal(AutoOffsetReset.Earliest, config.AutoOffsetReset);
    }

    [Fact]
    public void Null_removes_a_setting_and_the_default_returns()
    {
        var config = new ProducerConfig { LingerMs = 50 };
        config.Set("linger.ms", null);
        Assert.Null(config.Get("linger.ms"));
        Assert.Equal(5, config.LingerMs);
    }

    [Fact]
    public void A_client_config_carries_into_a_producer_config()
    {
        var shared = new ClientConfig { BootstrapServers = "h:1", ClientId = "app" };
        var producer = new ProducerConfig(shared) { LingerMs = 0 };
        Assert.Equal("app", producer.ClientId);
        Assert.Equal("h:1", producer.BootstrapServers);
        Assert.Null(shared.Get("linger.ms"));
    }
}
