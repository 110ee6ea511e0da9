using Gregor.Metadata.Controller;
using Gregor.Metadata.Records;

namespace Gregor.Metadata.Tests;

/// <summary>Automatic preferred leader election: Kafka's per-broker imbalance rule.</summary>
public sealed class LeaderBalanceTests : IDisposable
{
    private readonly LifecycleCluster _c = new();

    public void Dispose() => _c.Dispose();

    [Fact]
    public async Task Leadership_goes_back_to_the_preferred_replica_only_above_the_imbalance_percentage()
    {
        foreach (int id in new[] { 2, 3 }) await _c.AddBrokerAsync(id);
        // Broker 2 is the preferred replica of 10 partitions; it does not lead one of them (10 %).
        var topic = await _c.CreatePlacedAsync("t", [.. Enumerable.Range(0, 10).Select(_ => new[] { 2, 3 })]);
        await _c.Controller.CommitRecordsAsync([new PartitionChangeRecord { TopicId = topic, PartitionId = 4, Leader = 3 }]);

        Assert.Empty(await _c.Controller.BalanceLeadersAsync(10));
        Assert.Equal(3, _c.Partition("t", 4).Leader);

        // A second one (20 %) is above Kafka's default 10 %: both go back.
        await _c.Controller.CommitRecordsAsync([new PartitionChangeRecord { TopicId = topic, PartitionId = 7, Leader = 3 }]);
        var moved = await _c.Controller.BalanceLeadersAsync(10);
        Assert.Equal([new TopicPartitionRef("t", 4), new TopicPartitionRef("t", 7)], moved);
        Assert.All(_c.Image.Topic("t")!.Partitions, p => Assert.Equal(2, p.Leader));
    }

    [Fact]
    public async Task A_preferred_replica_out_of_the_isr_does_not_get_leadership_back()
    {
        foreach (int id in new[] { 2, 3 }) await _c.AddBrokerAsync(id);
        var topic = await _c.CreatePlacedAsync("t", [2, 3]);
        await _c.Controller.CommitRecordsAsync([new PartitionChangeRecord { TopicId = topic, PartitionId = 0, Leader = 3, Isr = [3] }]);
        long offset = _c.Image.Offset;
        Assert.Empty(await _c.Controller.BalanceLeadersAsync(10));
        Assert.Equal(offset, _c.Image.Offset);
        Assert.Equal(3, _c.Partition("t", 0).Leader);
    }
}
