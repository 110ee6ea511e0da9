namespace Gregor.Storage.Tests;

/// <summary>Index mappings under a budget: past it idle indexes are unmapped, and every lookup still finds its batch.</summary>
public sealed class MappingBudgetTests
{
    private static LogConfig Config => LogTestConfig.Small(segmentBytes: 1500, indexInterval: 100);

    [Fact]
    public void Past_the_budget_idle_indexes_are_unmapped_and_reads_of_every_log_stay_right()
    {
        using var dir = new TempLogDirectory();
        var budgets = new StorageBudgets(openFiles: 10_000, mappings: StorageBudgets.Minimum);
        var time = new ManualTimeProvider();
        var logs = new List<PartitionLog>();
        var written = new List<List<byte[]>>();
        try
        {
            for (int i = 0; i < 12; i++)
            {
                PartitionLog log = PartitionLog.Open(Path.Combine(dir.Path, $"t-{i}"), Config, time, budgets);
                logs.Add(log);
                written.Add(LogFixture.Fill(log, 40, seed: i));
            }
            Assert.All(logs, log => Assert.True(log.Segments.Count > 3, "each log needs several segments"));

            for (int pass = 0; pass < 2; pass++)
            {
                for (int i = 0; i < logs.Count; i++)
                    Assert.Equal(written[i], LogFixture.ReadAll(logs[i]));
            }

            // 12 logs of several segments have far more than 16 indexes, each mapped while it was read.
            Assert.True(budgets.Mappings.Released > 0, "nothing was unmapped");
            Assert.InRange(budgets.Mappings.Held, 1, StorageBudgets.Minimum);
            int mapped = logs.SelectMany(log => log.Segments).Count(s => s.OffsetIndex.IsMapped) + logs.SelectMany(log => log.Segments).Count(s => s.TimeIndex.IsMapped);
            Assert.Equal(budgets.Mappings.Held, mapped);
            // What the kernel sees: the index files of this directory mapped into the process.
            Assert.InRange(MappedFilesUnder(dir.Path), 1, StorageBudgets.Minimum);
        }
        finally
        {
            foreach (PartitionLog log in logs)
                log.Close();
        }
        Assert.Equal(0, budgets.Mappings.Held);
        Assert.Equal(0, MappedFilesUnder(dir.Path));
    }

    [Fact]
    public async Task Readers_and_a_writer_on_a_tiny_mapping_budget_only_ever_see_right_batches()
    {
        using var dir = new TempLogDirectory();
        var budgets = new StorageBudgets(openFiles: 10_000, mappings: StorageBudgets.Minimum);
        var time = new ManualTimeProvider();
        var logs = Enumerable.Range(0, 6).Select(i => PartitionLog.Open(Path.Combine(dir.Path, $"c-{i}"), Config, time, budgets)).ToList();
        // Readers pick among the batches written before they start; the writer's later batches go to a list of its own.
        var written = logs.Select((log, i) => LogFixture.Fill(log, 30, seed: 100 + i)).ToList();
        var appendedBatches = new List<byte[]>();
        using var stop = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        long reads = 0;

        void Reader(int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                int which = random.Next(logs.Count);
                List<byte[]> expected = written[which];
                int index = random.Next(expected.Count);
                long offset = TestBatches.Headers(expected[index]).Single().BaseOffset;
                using LogReadResult read = logs[which].Read(offset, 1);
                byte[] got = read.Records.ToArray();
                if (!got.AsSpan().SequenceEqual(expected[index]))
                    failures.Enqueue($"log {which} offset {offset}: got {got.Length} bytes, expected batch {index}");
                Interlocked.Increment(ref reads);
            }
        }

        Task[] readers = [Task.Run(() => Reader(1)), Task.Run(() => Reader(2)), Task.Run(() => Reader(3))];
        try
        {
            // The writer keeps adding to one log (its active index maps and grows) while readers churn the budget.
            PartitionLog appended = logs[0];
            for (int round = 0; round < 400; round++)
            {
                byte[] batch = TestBatches.Simple(2, 50_000 + round, valueBytes: 40);
                appended.Append(batch);
                appendedBatches.Add(batch);
            }
            Assert.True(SpinWait.SpinUntil(() => Interlocked.Read(ref reads) > 2000, TimeSpan.FromSeconds(60)), $"only {reads} reads ran");
        }
        finally
        {
            stop.Cancel();
            await Task.WhenAll(readers);
            foreach (PartitionLog log in logs)
                log.Close();
        }
        Assert.Empty(failures);
        Assert.True(budgets.Mappings.Released > 0, "the budget never had to unmap");
        using PartitionLog reopened = PartitionLog.Open(Path.Combine(dir.Path, "c-0"), Config, time, budgets);
        Assert.Equal(written[0].Concat(appendedBatches).ToList(), LogFixture.ReadAll(reopened));
    }

    [Fact]
    public void The_clock_spares_a_holder_used_since_the_hand_passed_and_never_takes_one_in_use()
    {
        var budget = new ResourceBudget("test", 2);
        var a = new Holder(budget);
        var b = new Holder(budget);
        var c = new Holder(budget);
        a.Take();
        b.Take();
        c.Take();
        // Three held, capacity two: all three were just used, so one full turn clears the bits and the second takes a.
        budget.TrimToCapacity();
        Assert.Equal(2, budget.Held);
        Assert.False(a.Holding);

        ResourceBudget.Touch(b);
        b.InUse = true;
        a.Take();
        budget.TrimToCapacity();
        // b is in use and c was not used since: c goes.
        Assert.True(b.Holding);
        Assert.False(c.Holding);
        Assert.Equal(2, budget.Held);

        a.InUse = true;
        c.Take();
        budget.TrimToCapacity();
        // Everything in use but c: c goes again; with c in use too the count stays over the capacity rather than closing a file in use.
        Assert.False(c.Holding);
        c.InUse = true;
        c.Take();
        budget.TrimToCapacity();
        Assert.Equal(3, budget.Held);

        b.InUse = false;
        budget.Capacity = 1;
        Assert.False(b.Holding);
        Assert.Equal(2, budget.Held);
        Assert.Equal(4, budget.Released);
    }

    private static int MappedFilesUnder(string directory) =>
        File.ReadLines("/proc/self/maps").Count(line => line.Contains(directory, StringComparison.Ordinal) && line.Contains("index", StringComparison.Ordinal));

    private sealed class Holder(ResourceBudget budget) : IBudgetedResource
    {
        private BudgetLink _link;

        public bool Holding { get; private set; }

        public bool InUse { get; set; }

        ref BudgetLink IBudgetedResource.Link => ref _link;

        public void Take()
        {
            Holding = true;
            budget.Join(this);
        }

        bool IBudgetedResource.TryRelease()
        {
            if (InUse)
                return false;
            Holding = false;
            return true;
        }
    }
}
