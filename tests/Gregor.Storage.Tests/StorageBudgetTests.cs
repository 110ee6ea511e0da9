namespace Gregor.Storage.Tests;

/// <summary>
/// Open .log files and index mappings under budgets: past them idle files are closed or unmapped, leased ones never,
/// and every read still finds its batches.
/// </summary>
public sealed class StorageBudgetTests
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
    public async Task Readers_and_a_writer_on_tiny_budgets_only_ever_see_right_batches()
    {
        using var dir = new TempLogDirectory();
        var budgets = new StorageBudgets(openFiles: StorageBudgets.Minimum, mappings: StorageBudgets.Minimum);
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
        Assert.True(budgets.OpenFiles.Released > 0, "the budget never had to close a file");
        using PartitionLog reopened = PartitionLog.Open(Path.Combine(dir.Path, "c-0"), Config, time, budgets);
        Assert.Equal(written[0].Concat(appendedBatches).ToList(), LogFixture.ReadAll(reopened));
    }

    [Fact]
    public void Past_the_open_file_budget_idle_log_files_are_closed_and_reads_of_every_log_stay_right()
    {
        using var dir = new TempLogDirectory();
        var budgets = new StorageBudgets(openFiles: StorageBudgets.Minimum, mappings: 10_000);
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
                Assert.InRange(OpenFilesUnder(dir.Path), 1, StorageBudgets.Minimum);
            }
            for (int i = 0; i < logs.Count; i++)
                Assert.Equal(written[i], LogFixture.ReadAll(logs[i]));
            Assert.True(budgets.OpenFiles.Released > 0, "nothing was closed");
            Assert.InRange(budgets.OpenFiles.Held, 1, StorageBudgets.Minimum);
            Assert.Equal(budgets.OpenFiles.Held, logs.SelectMany(log => log.Segments).Count(s => s.IsHandleOpen));
            // What the kernel sees: descriptors of this directory's files.
            Assert.InRange(OpenFilesUnder(dir.Path), 1, StorageBudgets.Minimum);
        }
        finally
        {
            foreach (PartitionLog log in logs)
                log.Close();
        }
        Assert.Equal(0, budgets.OpenFiles.Held);
        Assert.Equal(0, OpenFilesUnder(dir.Path));

        // Opening cleanly closed logs holds no descriptor and maps nothing; reading one opens only what it reads.
        var reopened = Enumerable.Range(0, 12).Select(i => PartitionLog.Open(Path.Combine(dir.Path, $"t-{i}"), Config, time, budgets)).ToList();
        try
        {
            Assert.Equal(0, OpenFilesUnder(dir.Path));
            Assert.Equal(0, MappedFilesUnder(dir.Path));
            Assert.Equal(written[5], LogFixture.ReadAll(reopened[5]));
            Assert.InRange(OpenFilesUnder(dir.Path), 1, reopened[5].Segments.Count);
        }
        finally
        {
            foreach (PartitionLog log in reopened)
                log.Close();
        }
    }

    [Fact]
    public void A_leased_region_keeps_its_file_open_past_the_budget_and_the_file_is_closed_after_the_lease()
    {
        using var dir = new TempLogDirectory();
        var budgets = new StorageBudgets(openFiles: StorageBudgets.Minimum, mappings: 10_000);
        var time = new ManualTimeProvider();
        using PartitionLog leased = PartitionLog.Open(Path.Combine(dir.Path, "leased"), Config, time, budgets);
        List<byte[]> batches = LogFixture.Fill(leased, 20);
        leased.UpdateHighWatermark(leased.LogEndOffset);
        var others = new List<PartitionLog>();
        try
        {
            LogRegion region = leased.ReadRegion(0, 200);
            LogSegment first = leased.Segments[0];
            Assert.True(region.Length > 0);
            // Every other log's segments go through the budget many times over.
            for (int i = 0; i < 8; i++)
            {
                PartitionLog other = PartitionLog.Open(Path.Combine(dir.Path, $"o-{i}"), Config, time, budgets);
                others.Add(other);
                LogFixture.Fill(other, 30, seed: i);
                LogFixture.ReadAll(other);
            }
            Assert.True(budgets.OpenFiles.Released > StorageBudgets.Minimum, $"{budgets.OpenFiles.Released} closed, {others.Sum(o => o.Segments.Count)} segments");
            Assert.True(first.IsHandleOpen, "a leased handle was closed");
            byte[] copied = new byte[region.Length];
            Assert.Equal(region.Length, region.CopyTo(copied, 0));
            Assert.Equal(batches[0], copied.AsSpan(0, batches[0].Length).ToArray());
            region.Dispose();

            foreach (PartitionLog other in others)
                LogFixture.ReadAll(other);
            Assert.False(first.IsHandleOpen, "an idle handle stayed open past the budget");
            Assert.Equal(batches, LogFixture.ReadAll(leased));
        }
        finally
        {
            foreach (PartitionLog other in others)
                other.Close();
        }
    }

    [Fact]
    public void Regions_past_a_budget_full_of_leased_files_hold_their_bytes_instead_of_a_descriptor()
    {
        using var dir = new TempLogDirectory();
        var budgets = new StorageBudgets(openFiles: StorageBudgets.Minimum, mappings: 10_000);
        var time = new ManualTimeProvider();
        var logs = new List<PartitionLog>();
        var regions = new List<LogRegion>();
        try
        {
            for (int i = 0; i < 3 * StorageBudgets.Minimum; i++)
            {
                PartitionLog log = PartitionLog.Open(Path.Combine(dir.Path, $"r-{i}"), LogTestConfig.Small(), time, budgets);
                log.Append(TestBatches.Simple(2, 1_000 + i));
                log.UpdateHighWatermark(log.LogEndOffset);
                logs.Add(log);
            }
            // A fetch of every partition holds every region until its response is written.
            foreach (PartitionLog log in logs)
                regions.Add(log.ReadRegion(0, 1 << 20));

            Assert.InRange(budgets.OpenFiles.Held, 1, StorageBudgets.Minimum + 1);
            Assert.InRange(OpenFilesUnder(dir.Path), 1, StorageBudgets.Minimum + 1);
            for (int i = 0; i < logs.Count; i++)
            {
                byte[] copied = new byte[regions[i].Length];
                Assert.Equal(copied.Length, regions[i].CopyTo(copied, 0));
                Assert.Equal(LogFixture.ReadAll(logs[i]).Single(), copied);
            }
        }
        finally
        {
            foreach (LogRegion region in regions)
                region.Dispose();
            foreach (PartitionLog log in logs)
                log.Close();
        }
        Assert.Equal(0, OpenFilesUnder(dir.Path));
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

    private static int OpenFilesUnder(string directory) =>
        new DirectoryInfo("/proc/self/fd").GetFiles().Count(link => link.LinkTarget?.StartsWith(directory, StringComparison.Ordinal) == true);

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
