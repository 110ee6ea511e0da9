using Gregor.Broker.Network;

namespace Gregor.Broker.Tests.Network;

public sealed class RequestMemoryTests
{
    private static (FrameReservation Reservation, List<FrameReservation> Evicted) Receiving(RequestMemory memory, int frameSize, List<FrameReservation>? evicted = null, long at = 0)
    {
        evicted ??= [];
        var list = evicted;
        var reservation = new FrameReservation(r => list.Add(r));
        reservation.Begin(frameSize, at);
        memory.BeginReceiving(reservation);
        return (reservation, evicted);
    }

    [Fact]
    public async Task Reservations_fit_up_to_the_capacity_and_a_release_lets_a_waiter_in()
    {
        var memory = new RequestMemory(1000, 500, new ManualClock());
        var (a, _) = Receiving(memory, 600);
        var (b, _) = Receiving(memory, 600);
        await memory.GrowAsync(a, 600, default);
        Task waiting = memory.GrowAsync(b, 600, default).AsTask();
        Assert.False(waiting.IsCompleted);
        Assert.Equal(1, memory.Waiting);

        memory.Release(a);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(600, memory.Used);
        Assert.Equal(600, b.Reserved);
        Assert.Equal(0, a.Reserved);
    }

    [Fact]
    public async Task Freed_memory_goes_to_the_smallest_waiters_first()
    {
        var memory = new RequestMemory(1000, 1000, new ManualClock());
        var (holder, _) = Receiving(memory, 1000);
        await memory.GrowAsync(holder, 1000, default);
        var (big, _) = Receiving(memory, 900);
        var (small, _) = Receiving(memory, 100);
        Task bigWaits = memory.GrowAsync(big, 900, default).AsTask();
        Task smallWaits = memory.GrowAsync(small, 100, default).AsTask();

        memory.Shrink(holder, 200); // room for the small one only, though the big one asked first
        await smallWaits.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(bigWaits.IsCompleted);
        memory.Release(holder);
        await bigWaits.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(1000, memory.Used);
    }

    [Fact]
    public async Task Large_requests_leave_a_quarter_to_ordinary_ones()
    {
        const int large = RequestMemory.LargeFrameBytes + 1;
        long capacity = 16L * RequestMemory.LargeFrameBytes;
        var memory = new RequestMemory(capacity, large, new ManualClock());
        Assert.Equal(capacity / 4 * 3, memory.LargeCapacity);
        var bigs = Enumerable.Range(0, 13).Select(_ => Receiving(memory, large).Reservation).ToList();
        for (int i = 0; i < 12; i++) await memory.GrowAsync(bigs[i], RequestMemory.LargeFrameBytes, default);
        Task thirteenth = memory.GrowAsync(bigs[12], RequestMemory.LargeFrameBytes, default).AsTask();
        Assert.False(thirteenth.IsCompleted, "the large share is spent");

        // An ordinary request still finds memory at once.
        var (ordinary, _) = Receiving(memory, 1 << 20);
        Assert.True(memory.GrowAsync(ordinary, 1 << 20, default).IsCompletedSuccessfully);
        memory.Release(bigs[0]);
        await thirteenth.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void One_largest_request_always_fits_even_past_three_quarters()
    {
        var memory = new RequestMemory(100 << 20, 100 << 20, new ManualClock());
        Assert.Equal(100 << 20, memory.LargeCapacity);
    }

    [Fact]
    public async Task A_request_waiting_too_long_closes_the_largest_unfinished_one_not_one_being_handled()
    {
        var clock = new ManualClock();
        var memory = new RequestMemory(1000, 1000, clock);
        var evicted = new List<FrameReservation>();
        var (handled, _) = Receiving(memory, 500, evicted, at: 1);
        await memory.GrowAsync(handled, 500, default);
        memory.EndReceiving(handled); // fully arrived: being handled
        var (older, _) = Receiving(memory, 300, evicted, at: 2);
        await memory.GrowAsync(older, 300, default);
        var (newer, _) = Receiving(memory, 300, evicted, at: 3);
        await memory.GrowAsync(newer, 200, default);
        var (waiter, _) = Receiving(memory, 100, evicted, at: 4);

        Task waiting = memory.GrowAsync(waiter, 100, default).AsTask();
        Assert.True(await clock.WaitForTimerAsync(RequestMemory.EvictAfter));
        Assert.Empty(evicted);
        clock.Advance(RequestMemory.EvictAfter);
        Assert.True(SpinWait.SpinUntil(() => evicted.Count == 1, TimeSpan.FromSeconds(10)));
        Assert.Same(older, evicted[0]); // the largest unfinished: 300 over 200; the handled 500 is not a candidate
        Assert.True(older.Evicted);
        Assert.False(waiting.IsCompleted);

        memory.Release(older); // its connection unwound
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(evicted);
    }

    [Fact]
    public async Task Requests_of_the_same_size_never_close_each_other_and_a_long_wait_gives_up()
    {
        var clock = new ManualClock();
        var memory = new RequestMemory(1000, 1000, clock);
        var evicted = new List<FrameReservation>();
        var (holder, _) = Receiving(memory, 800, evicted);
        await memory.GrowAsync(holder, 800, default);
        var (same, _) = Receiving(memory, 800, evicted);
        Task waiting = memory.GrowAsync(same, 800, default).AsTask();
        for (var waited = TimeSpan.Zero; waited < RequestMemory.MaxWait; waited += RequestMemory.EvictAfter)
        {
            Assert.True(await clock.WaitForTimerAsync(RequestMemory.EvictAfter));
            clock.Advance(RequestMemory.EvictAfter);
        }
        var e = await Assert.ThrowsAsync<RequestMemoryTimeoutException>(() => waiting);
        Assert.Contains("waited 30 s for 800 bytes of request memory (queued.max.request.bytes=1000)", e.Message, StringComparison.Ordinal);
        Assert.Empty(evicted);
        Assert.Equal(0, memory.Waiting);
    }

    [Fact]
    public async Task At_most_one_connection_is_closed_per_eviction_interval()
    {
        var clock = new ManualClock();
        var memory = new RequestMemory(1000, 1000, clock);
        var evicted = new List<FrameReservation>();
        for (int i = 0; i < 2; i++)
        {
            var (hog, _) = Receiving(memory, 900, evicted, at: i);
            await memory.GrowAsync(hog, 500, default);
        }
        var waiters = Enumerable.Range(0, 2).Select(_ => memory.GrowAsync(Receiving(memory, 100, evicted).Reservation, 100, default).AsTask()).ToList();
        Assert.True(await clock.WaitForTimerAsync(RequestMemory.EvictAfter));
        clock.Advance(RequestMemory.EvictAfter); // both waiters time out together
        Assert.True(SpinWait.SpinUntil(() => evicted.Count == 1, TimeSpan.FromSeconds(10)));
        Assert.True(await clock.WaitForTimerAsync(RequestMemory.EvictAfter));
        Assert.Single(evicted);
        memory.Release(evicted[0]);
        await Task.WhenAll(waiters).WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_waiter_whose_connection_stops_leaves_the_queue()
    {
        var memory = new RequestMemory(100, 100, new ManualClock());
        var (holder, _) = Receiving(memory, 100);
        await memory.GrowAsync(holder, 100, default);
        var (waiter, _) = Receiving(memory, 50);
        using var stop = new CancellationTokenSource();
        Task waiting = memory.GrowAsync(waiter, 50, stop.Token).AsTask();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, memory.Waiting);
        memory.Release(waiter);
        memory.Release(holder);
        Assert.Equal(0, memory.Used);
    }

    [Fact]
    public async Task No_capacity_means_no_limit()
    {
        var memory = new RequestMemory(-1, 100, new ManualClock());
        var (a, _) = Receiving(memory, int.MaxValue);
        for (int i = 0; i < 10; i++) await memory.GrowAsync(a, int.MaxValue, default);
        Assert.Equal(10L * int.MaxValue, memory.Used);
    }
}
