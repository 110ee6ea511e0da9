using System.Text;

namespace Gregor.Client.Tests.Integration;

public sealed class ProducerTests
{
    private static ProducerConfig Config(ClientTestBroker broker, params (string Key, string Value)[] settings)
    {
        var config = new ProducerConfig { BootstrapServers = broker.Bootstrap };
        config.Set("linger.ms", "5");
        foreach (var (key, value) in settings) config.Set(key, value);
        return config;
    }

    [Theory]
    [InlineData("none", "all")]
    [InlineData("gzip", "1")]
    [InlineData("snappy", "all")]
    [InlineData("lz4", "1")]
    [InlineData("zstd", "-1")]
    public async Task Records_arrive_with_every_codec_and_delivery_results_carry_their_offsets(string codec, string acks)
    {
        await using var broker = await ClientTestBroker.StartAsync();
        using var producer = new ProducerBuilder<string, string>(Config(broker, ("compression.type", codec), ("acks", acks))).Build();
        var tasks = new List<Task<DeliveryResult<string, string>>>();
        for (int i = 0; i < 200; i++)
        {
            var message = new Message<string, string> { Key = "k" + i, Value = "value " + i + new string('x', i % 50) };
            if (i % 7 == 0) message.Headers = new Headers { { "h", Encoding.UTF8.GetBytes("hv" + i) } };
            tasks.Add(producer.ProduceAsync(new TopicPartition("codec-" + codec, 0), message));
        }
        var results = await Task.WhenAll(tasks);
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(PersistenceStatus.Persisted, results[i].Status);
            Assert.Equal(i, results[i].Offset.Value); // one producer, one partition: offsets follow send order
            Assert.Equal(0, results[i].Partition.Value);
            Assert.Equal(TimestampType.CreateTime, results[i].Timestamp.Type);
        }

        var stored = await RawReader.ReadAllAsync(broker.Bootstrap, "codec-" + codec, 0);
        Assert.Equal(200, stored.Count);
        for (int i = 0; i < stored.Count; i++)
        {
            Assert.Equal(i, stored[i].Offset);
            Assert.Equal("k" + i, Encoding.UTF8.GetString(stored[i].Key!));
            Assert.Equal("value " + i + new string('x', i % 50), Encoding.UTF8.GetString(stored[i].Value!));
            Assert.Equal(results[i].Timestamp.UnixTimestampMs, stored[i].Timestamp);
            Assert.Equal(codec switch { "none" => 0, "gzip" => 1, "snappy" => 2, "lz4" => 3, _ => 4 }, stored[i].Compression);
            if (i % 7 == 0) Assert.Equal(("h", "hv" + i), (stored[i].Headers.Single().Key, Encoding.UTF8.GetString(stored[i].Headers.Single().Value!)));
            else Assert.Empty(stored[i].Headers);
        }
    }

    [Fact]
    public async Task A_null_header_value_is_stored_as_null_and_an_empty_one_as_empty()
    {
        await using var broker = await ClientTestBroker.StartAsync();
        using (var producer = new ProducerBuilder<string, string>(Config(broker)).Build())
            await producer.ProduceAsync(new TopicPartition("header-values", 0), new Message<string, string>
            {
                Key = "k",
                Value = "v",
                Headers = new Headers { { "null", null }, { "empty", [] } },
            });
        var stored = (await RawReader.ReadAllAsync(broker.Bootstrap, "header-values", 0)).Single();
        Assert.Null(stored.Headers[0].Value);
        Assert.Equal([], stored.Headers[1].Value!);
    }
}
