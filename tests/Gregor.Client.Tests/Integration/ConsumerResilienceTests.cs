using System.Globalization;
using static Gregor.Client.Tests.Integration.ConsumerTestSupport;

namespace Gregor.Client.Tests.Integration;

public sealed class ConsumerResilienceTests
{
    [Fact]
    public async Task A_broker_restart_mid_consume_resumes_at_the_position_with_no_gap_and_no_duplicate()
    {
        const int partitions = 3, perPartition = 3000;
        await using var broker = await ClientTestBroker.StartAsync();
        await CreateTopicAsync(broker, "restart", partitions);
        for (int p = 0; p < partitions; p++)
            await ProduceAsync(broker, "restart", p, perPartition, first: p * perPartition, lingerMs: 20);
        var errors = new List<Error>();
        var config = Config(broker, ("max.partition.fetch.bytes", "4096"), ("request.timeout.ms", "5000"));
        using var consumer = new ConsumerBuilder<string, string>(config).SetErrorHandler((_, e) => errors.Add(e)).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset("restart", p, Offset.Beginning)));

        var seen = Take(consumer, perPartition); // a third, spread over the partitions
        await broker.StopAsync();
        // What was already fetched is still handed out while the broker is away; then nothing comes.
        var whileDown = new List<ConsumeResult<string, string>>();
        var quietSince = DateTime.UtcNow;
        while (DateTime.UtcNow - quietSince < TimeSpan.FromSeconds(1))
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(100)) is { } r)
            {
                whileDown.Add(r);
                quietSince = DateTime.UtcNow;
            }
        }
        await broker.StartAgainAsync();
        seen.AddRange(whileDown);
        seen.AddRange(Take(consumer, (partitions * perPartition) - seen.Count));
        NothingMore(consumer);

        Assert.Contains(errors, e => e.Code == ErrorCode.Local_Transport); // the handler heard about the lost connection
        for (int p = 0; p < partitions; p++)
        {
            var mine = seen.Where(r => r.Partition.Value == p).ToList();
            Assert.Equal(Enumerable.Range(0, perPartition).Select(i => (long)i), mine.Select(r => r.Offset.Value));
            Assert.Equal(Enumerable.Range(p * perPartition, perPartition).Select(i => "value-" + i.ToString(CultureInfo.InvariantCulture)), mine.Select(r => r.Message.Value));
        }
    }
}
