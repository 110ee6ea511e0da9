using System.Collections.Concurrent;
using Gregor.Broker.Producers;
using Gregor.Broker.Tests.Network;
using Gregor.Protocol;

namespace Gregor.Broker.Tests.Producers;

/// <summary>The broker's producer ids: from the controller's blocks, each once, always growing, the next block fetched ahead.</summary>
public sealed class ProducerIdManagerTests
{
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(50);

    /// <summary>A controller as the manager sees it: each fetch answered by the next of <see cref="Answers"/>, or left for the test to answer.</summary>
    private sealed class FakeSource : IProducerIdBlockSource
    {
        private readonly object _gate = new();
        private int _calls;

        /// <summary>What each fetch gets, in order: a block or an exception; with none left the fetch waits on <see cref="Pending"/>.</summary>
        public ConcurrentQueue<object> Answers { get; } = new();

        public TaskCompletionSource<ProducerIdBlock>? Pending { get; private set; }

        public int Calls
        {
            get { lock (_gate) return _calls; }
        }

        public Task<ProducerIdBlock> FetchBlockAsync(CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                _calls++;
                if (Answers.TryDequeue(out var answer))
                    return answer is Exception e ? Task.FromException<ProducerIdBlock>(e) : Task.FromResult((ProducerIdBlock)answer);
                Pending = new TaskCompletionSource<ProducerIdBlock>(TaskCreationOptions.RunContinuationsAsynchronously);
                return Pending.Task;
            }
        }
    }

    /// <summary>Hands out blocks of <paramref name="length"/> one after another, like a controller no other broker asks.</summary>
    private sealed class SequentialSource(int length) : IProducerIdBlockSource
    {
        private long _next;

        public int Calls;

        public Task<ProducerIdBlock> FetchBlockAsync(CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            long first = Interlocked.Add(ref _next, length) - length;
            return Task.FromResult(new ProducerIdBlock(first, length));
        }
    }

    /// <summary>An id, letting the fetch that is running (if any) land first, as time passing between requests would.</summary>
    private static async Task<long> NextAsync(ProducerIdManager manager)
    {
        long id = manager.NextProducerId();
        if (manager.RunningFetch is { } fetch) await fetch;
        return id;
    }

    private static async Task<ProducerIdsUnavailableException> UnavailableAsync(ProducerIdManager manager)
    {
        var e = Assert.Throws<ProducerIdsUnavailableException>(() => manager.NextProducerId());
        Assert.Equal(ErrorCode.CoordinatorLoadInProgress, e.Error);
        if (manager.RunningFetch is { } fetch) await fetch;
        return e;
    }

    [Fact]
    public async Task Ids_run_through_the_blocks_in_order_with_the_next_block_fetched_at_ninety_percent()
    {
        var source = new SequentialSource(100);
        using var manager = new ProducerIdManager(source, new ManualClock(), Backoff);

        await UnavailableAsync(manager); // the first block is asked for on first use
        Assert.Equal(1, source.Calls);
        var ids = new List<long>();
        for (int i = 0; i < 90; i++) ids.Add(await NextAsync(manager));
        Assert.Equal(1, source.Calls);
        ids.Add(await NextAsync(manager)); // id 90: 90% of the block is gone
        Assert.Equal(2, source.Calls);
        while (ids.Count < 350) ids.Add(await NextAsync(manager));

        Assert.Equal(Enumerable.Range(0, 350).Select(i => (long)i), ids);
        Assert.Equal(4, source.Calls); // never ran dry after the first: each block arrived before the last ran out
    }

    [Fact]
    public async Task Blocks_with_gaps_between_them_are_used_as_given()
    {
        var source = new FakeSource();
        source.Answers.Enqueue(new ProducerIdBlock(0, 10));
        source.Answers.Enqueue(new ProducerIdBlock(30, 10)); // another broker took 10..29
        source.Answers.Enqueue(new ProducerIdBlock(50, 10)); // the prefetch at id 39
        using var manager = new ProducerIdManager(source, new ManualClock(), Backoff);
        await UnavailableAsync(manager);

        var ids = new List<long>();
        for (int i = 0; i < 20; i++) ids.Add(await NextAsync(manager));

        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => (long)i), .. Enumerable.Range(30, 10).Select(i => (long)i)], ids);
    }

    [Fact]
    public async Task A_failed_fetch_is_a_retriable_error_retried_after_the_backoff_and_a_later_call_succeeds()
    {
        var clock = new ManualClock();
        var source = new FakeSource();
        source.Answers.Enqueue(new IOException("controller unreachable"));
        using var manager = new ProducerIdManager(source, clock, Backoff);

        await UnavailableAsync(manager);
        var failed = await UnavailableAsync(manager);
        Assert.Contains("controller unreachable", failed.Message);
        Assert.IsType<IOException>(failed.InnerException);
        Assert.Equal(1, source.Calls); // within the backoff: not asked again

        clock.Advance(Backoff);
        Assert.Throws<ProducerIdsUnavailableException>(() => manager.NextProducerId()); // asks again; the answer is on its way
        var fetch = manager.RunningFetch!;
        Assert.True(SpinWait.SpinUntil(() => source.Calls == 2, TimeSpan.FromSeconds(10)));
        Assert.Throws<ProducerIdsUnavailableException>(() => manager.NextProducerId()); // one fetch at a time
        source.Pending!.SetResult(new ProducerIdBlock(1000, 1000));
        await fetch.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(2, source.Calls);

        Assert.Equal(1000, manager.NextProducerId());
        Assert.Equal(1001, manager.NextProducerId());
    }

    [Fact]
    public async Task A_fetch_that_fails_while_ids_are_left_only_retries_later_and_the_ids_keep_coming()
    {
        var clock = new ManualClock();
        var source = new FakeSource();
        source.Answers.Enqueue(new ProducerIdBlock(0, 20));
        source.Answers.Enqueue(new TimeoutException("no answer"));
        source.Answers.Enqueue(new ProducerIdBlock(20, 20));
        using var manager = new ProducerIdManager(source, clock, Backoff);
        await UnavailableAsync(manager);

        for (long i = 0; i <= 18; i++) Assert.Equal(i, await NextAsync(manager)); // id 18 (90%) prefetched, and that failed
        Assert.Equal(2, source.Calls);
        clock.Advance(Backoff);
        Assert.Equal(19, await NextAsync(manager)); // the retry
        Assert.Equal(3, source.Calls);
        Assert.Equal(20, await NextAsync(manager));
    }

    [Fact]
    public async Task A_block_that_does_not_start_past_the_ids_already_seen_is_refused()
    {
        var clock = new ManualClock();
        var source = new FakeSource();
        source.Answers.Enqueue(new ProducerIdBlock(0, 10));
        source.Answers.Enqueue(new ProducerIdBlock(5, 10));
        source.Answers.Enqueue(new ProducerIdBlock(10, 10));
        using var manager = new ProducerIdManager(source, clock, Backoff);
        await UnavailableAsync(manager);
        for (long i = 0; i < 10; i++) Assert.Equal(i, await NextAsync(manager)); // the prefetch got 5..14: refused

        var refused = await UnavailableAsync(manager);
        Assert.Contains("not past 9", refused.Message);
        clock.Advance(Backoff);
        await UnavailableAsync(manager);
        Assert.Equal(10, manager.NextProducerId());
    }

    [Fact]
    public async Task Many_threads_get_ids_each_once_and_each_sees_them_grow()
    {
        var source = new SequentialSource(100);
        using var manager = new ProducerIdManager(source, TimeProvider.System, TimeSpan.Zero);
        var all = new ConcurrentBag<long>();

        var workers = Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            long last = -1;
            for (int taken = 0; taken < 1500;)
            {
                long id;
                try
                {
                    id = manager.NextProducerId();
                }
                catch (ProducerIdsUnavailableException)
                {
                    Thread.Yield();
                    continue;
                }
                Assert.True(id > last, $"{id} after {last}");
                last = id;
                all.Add(id);
                taken++;
            }
        })).ToArray();
        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(6_000, all.Count);
        Assert.Equal(6_000, all.Distinct().Count());
        Assert.True(all.Max() < source.Calls * 100L);
    }

    [Fact]
    public void A_disposed_manager_hands_out_nothing()
    {
        var manager = new ProducerIdManager(new SequentialSource(10), new ManualClock(), Backoff);
        manager.Dispose();
        Assert.Throws<ObjectDisposedException>(() => manager.NextProducerId());
    }
}
