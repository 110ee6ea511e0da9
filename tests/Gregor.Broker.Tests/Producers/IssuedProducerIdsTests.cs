using Gregor.Broker.Producers;
using Gregor.Broker.Tests.Network;
using Gregor.Metadata;

namespace Gregor.Broker.Tests.Producers;

/// <summary>Which producer ids the cluster issued: those below the image's next producer id, an id of a block the image has not folded yet waited for briefly.</summary>
public sealed class IssuedProducerIdsTests
{
    private static MetadataPublisher WithNextProducerId(long next)
    {
        var publisher = new MetadataPublisher(MetadataImage.Empty("cluster", 1));
        publisher.Publish(publisher.Current with { Offset = 1, NextProducerId = next });
        return publisher;
    }

    [Fact]
    public void Ids_below_the_next_producer_id_are_issued_and_no_others()
    {
        var issued = new IssuedProducerIds(WithNextProducerId(2000), new ManualClock());

        Assert.True(issued.IsIssued(0));
        Assert.True(issued.IsIssued(1999));
        Assert.False(issued.IsIssued(2000));
        Assert.False(issued.IsIssued(-1));
        Assert.False(new IssuedProducerIds(new MetadataPublisher(MetadataImage.Empty("cluster", 1)), new ManualClock()).IsIssued(0));
    }

    [Fact]
    public async Task An_id_of_a_block_the_image_learns_of_while_the_produce_waits_is_issued()
    {
        MetadataPublisher publisher = WithNextProducerId(1000);
        var issued = new IssuedProducerIds(publisher, new ManualClock());

        ValueTask<bool> waiting = issued.IsIssuedAsync(1500, CancellationToken.None);
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, issued.WaiterCount);
        publisher.Publish(publisher.Current with { Offset = 2, NextProducerId = 2000 });

        Assert.True(await waiting);
        Assert.Equal(0, issued.WaiterCount);
    }

    [Fact]
    public async Task An_id_still_unknown_after_the_wait_is_not_issued()
    {
        MetadataPublisher publisher = WithNextProducerId(1000);
        var clock = new ManualClock();
        var issued = new IssuedProducerIds(publisher, clock);

        ValueTask<bool> waiting = issued.IsIssuedAsync(5000, CancellationToken.None);
        publisher.Publish(publisher.Current with { Offset = 2, NextProducerId = 2000 }); // a block, but not the one with 5000
        Assert.False(waiting.IsCompleted);
        Assert.True(await clock.WaitForTimerAsync(IssuedProducerIds.CatchUpWait));
        clock.Advance(IssuedProducerIds.CatchUpWait);

        Assert.False(await waiting);
        Assert.Equal(0, issued.WaiterCount);
    }

    [Fact]
    public async Task Waiters_are_bounded_and_those_beyond_the_bound_are_answered_at_once()
    {
        var clock = new ManualClock();
        var issued = new IssuedProducerIds(WithNextProducerId(1000), clock);
        var waiting = Enumerable.Range(0, IssuedProducerIds.MaxWaiters).Select(i => issued.IsIssuedAsync(5000 + i, CancellationToken.None).AsTask()).ToList();

        ValueTask<bool> beyond = issued.IsIssuedAsync(1 << 20, CancellationToken.None);

        Assert.True(beyond.IsCompleted);
        Assert.False(await beyond);
        Assert.Equal(IssuedProducerIds.MaxWaiters, issued.WaiterCount);
        Assert.True(await clock.WaitForTimerAsync(IssuedProducerIds.CatchUpWait));
        clock.Advance(IssuedProducerIds.CatchUpWait);
        Assert.All(await Task.WhenAll(waiting), Assert.False);
    }
}
