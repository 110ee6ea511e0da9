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
        using (var logs = new LogSet(dir.Path, budgets))
        {
            logs.OpenFilled(12, batches: 40);
            Assert.All(logs.Logs, log => Assert.True(log.Segments.Count > 3, "each log needs several segments"));
            logs.ReadEachBack(passes: 2);

            // 12 logs of several segments have far more than 16 indexes, each mapped while it was read.
            Assert.True(budgets.Mappings.Released > 0, "nothing was unmapped");
            Assert.InRange(budgets.Mappings.Held, 1, StorageBudgets.Minimum);
            IEnumerable<LogSegment> segments = logs.Logs.SelectMany(log => log.Segments);
            Assert.Equal(budgets.Mappings.Held, segments.Count(s => s.OffsetIndex.IsMapped) + segments.Count(s => s.TimeIndex.IsMapped));
            // What the kernel sees: the index files of this directory mapped into the process.
            Assert.InRange(MappedFilesUnder(dir.Path), 1, StorageBudgets.Minimum);
        }
        Assert.Equal(0, budgets.Mappings.Held);
        Assert.Equal(0, MappedFilesUnder(dir.Path));
    }

    [Fact]
    public async Task Readers_and_a_writer_on_tiny_budgets_only_ever_see_right_batches()
    {
        using var dir = new TempLogDirectory();
        var budgets = new StorageBudgets(openFiles: StorageBudgets.Minimum, mappings: StorageBudgets.Minimum);
        var logs = new LogSet(dir.Path, budgets);
        // Readers pick among the batches written before they start; the writer's later batches go to a list of its own.
        logs.OpenFilled(6, batches: 30, seed: 100);
        var appendedBatches = new List<byte[]>();
        using var stop = new CancellationTokenSource();
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        long reads = 0;

        void Reader(int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                int which = random.Next(logs.Logs.Count);
                List<byte[]> expected = logs.Written[which];
                int index = random.Next(expected.Count);
                long offset = TestBatches.Headers(expected[index]).Single().BaseOffset;
                using LogReadResult read = logs.Logs[which].Read(offset, 1);
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
            PartitionLog appended = logs.Logs[0];
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
            logs.Dispose();
        }
        Assert.Empty(failures);
        Assert.True(budgets.Mappings.Released > 0, "the budget never had to unmap");
        Assert.True(budgets.OpenFiles.Released > 0, "the budget never had to close a file");
        using var reopened = new LogSet(dir.Path, budgets);
        Assert.Equal(logs.Written[0].Concat(appendedBatches).ToList(), LogFixture.ReadAll(reopened.Open("log-0")));
    }

    [Fact]
    public void Past_the_open_file_budget_idle_log_files_are_closed_and_reads_of_every_log_stay_right()
    {
        using var dir = new TempLogDirectory();
        var budgets = new StorageBudgets(openFiles: StorageBudgets.Minimum, mappings: 10_000);
        List<List<byte[]>> written;
        using (var logs = new LogSet(dir.Path, budgets))
        {
            for (int i = 0; i < 12; i++)
            {
                logs.OpenFilled(1, batches: 40, seed: i);
                Assert.InRange(OpenFilesUnder(dir.Path), 1, StorageBudgets.Minimum);
            }
            logs.ReadEachBack();
            Assert.True(budgets.OpenFiles.Released > 0, "nothing was closed");
            Assert.InRange(budgets.OpenFiles.Held, 1, StorageBudgets.Minimum);
            Assert.Equal(budgets.OpenFiles.Held, logs.Logs.SelectMany(log => log.Segments).Count(s => s.IsHandleOpen));
            // What the kernel sees: descriptors of this directory's files.
            Assert.InRange(OpenFilesUnder(dir.Path), 1, StorageBudgets.Minimum);
            written = logs.Written;
        }
        Assert.Equal(0, budgets.OpenFiles.Held);
        Assert.Equal(0, OpenFilesUnder(dir.Path));

        // Opening cleanly closed logs holds no descriptor and maps nothing; reading one opens only what it reads.
        using var reopened = new LogSet(dir.Path, budgets);
        for (int i = 0; i < 12; i++)
            reopened.Open($"log-{i}");
        Assert.Equal(0, OpenFilesUnder(dir.Path));
        Assert.Equal(0, MappedFilesUnder(dir.Path));
        Assert.Equal(written[5], LogFixture.ReadAll(reopened.Logs[5]));
        Assert.InRange(OpenFilesUnder(dir.Path), 1, reopened.Logs[5].Segments.Count);
    }

    [Fact]
    public void A_leased_region_keeps_its_file_open_past_the_budget_and_the_file_is_closed_after_the_lease()
    {
        using var dir = new TempLogDirectory();
        var budgets = new StorageBudgets(openFiles: StorageBudgets.Minimum, mappings: 10_000);
        using var logs = new LogSet(dir.Path, budgets);
        PartitionLog leased = logs.OpenFilled(1, batches: 20)[0];
        List<byte[]> batches = logs.Written[0];
        leased.UpdateHighWatermark(leased.LogEndOffset);

        LogRegion region = leased.ReadRegion(0, 200);
        LogSegment first = leased.Segments[0];
        Assert.True(region.Length > 0);
        // Every other log's segments go through the budget many times over.
        logs.OpenFilled(8, batches: 30);
        logs.ReadEachBack();
        Assert.True(budgets.OpenFiles.Released > StorageBudgets.Minimum, $"{budgets.OpenFiles.Released} closed");
        Assert.True(first.IsHandleOpen, "a leased handle was closed");
        byte[] copied = new byte[region.Length];
        Assert.Equal(region.Length, region.CopyTo(copied, 0));
        Assert.Equal(batches[0], copied.AsSpan(0, batches[0].Length).ToArray());
        region.Dispose();

        logs.ReadEachBack();
        Assert.False(first.IsHandleOpen, "an idle handle stayed open past the budget");
    }

    [Fact]
    public void Regions_past_a_budget_full_of_leased_files_hold_their_bytes_instead_of_a_descriptor()
    {
        using var dir = new TempLogDirectory();
        var budgets = new StorageBudgets(openFiles: StorageBudgets.Minimum, mappings: 10_000);
        var regions = new List<LogRegion>();
        using (var logs = new LogSet(dir.Path, budgets))
        {
            foreach (PartitionLog log in logs.OpenFilled(3 * StorageBudgets.Minimum, batches: 1))
                log.UpdateHighWatermark(log.LogEndOffset);
            try
            {
                // A fetch of every partition holds every region until its response is written.
                foreach (PartitionLog log in logs.Logs)
                    regions.Add(log.ReadRegion(0, 1 << 20));

                Assert.InRange(budgets.OpenFiles.Held, 1, StorageBudgets.Minimum + 1);
                Assert.InRange(OpenFilesUnder(dir.Path), 1, StorageBudgets.Minimum + 1);
                for (int i = 0; i < logs.Logs.Count; i++)
                {
                    byte[] copied = new byte[regions[i].Length];
                    Assert.Equal(copied.Length, regions[i].CopyTo(copied, 0));
                    Assert.Equal(logs.Written[i].Single(), copied);
                }
            }
            finally
            {
                foreach (LogRegion region in regions)
                    region.Dispose();
            }
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

    /// <summary>The logs of one test, under one pair of budgets, named log-0, log-1, ... and closed together.</summary>
    private sealed class LogSet(string root, StorageBudgets budgets) : IDisposable
    {
        private readonly ManualTimeProvider _time = new();

        public List<PartitionLog> Logs { get; } = [];

        /// <summary>The batches each log was filled with, by index.</summary>
        public List<List<byte[]>> Written { get; } = [];

        public PartitionLog Open(string name)
        {
            PartitionLog log = PartitionLog.Open(Path.Combine(root, name), Config, _time, budgets);
            Logs.Add(log);
            return log;
        }

        /// <summary>Opens <paramref name="count"/> more logs and fills each with batches of varied sizes; returns them.</summary>
        public List<PartitionLog> OpenFilled(int count, int batches, int seed = 0)
        {
            var opened = new List<PartitionLog>();
            for (int i = 0; i < count; i++)
            {
                PartitionLog log = Open($"log-{Logs.Count}");
                Written.Add(LogFixture.Fill(log, batches, seed: seed + i));
                opened.Add(log);
            }
            return opened;
        }

        public void ReadEachBack(int passes = 1)
        {
            for (int pass = 0; pass < passes; pass++)
            {
                for (int i = 0; i < Written.Count; i++)
                    Assert.Equal(Written[i], LogFixture.ReadAll(Logs[i]));
            }
        }

        public void Dispose()
        {
            foreach (PartitionLog log in Logs)
                log.Close();
        }
    }

    private static int OpenFilesUnder(string directory) =>
        new DirectoryInfo("/proc/self/fd").GetFiles().Count(link => link.LinkTarget?.StartsWith(directory, StringComparison.Ordinal) == true);

    [Fact]
    public void The_holder_that_just_took_its_resource_is_spared_when_everything_else_is_in_use()
    {
        var budget = new ResourceBudget("test", 2);
        var a = new Holder(budget) { InUse = true };
        var b = new Holder(budget) { InUse = true };
        var newcomer = new Holder(budget);
        a.Take();
        b.Take();
        newcomer.Take();
        budget.TrimToCapacity(spare: newcomer);
        // Taking the newcomer's resource would only make it take it again: the count stays over until a or b is done.
        Assert.True(newcomer.Holding);
        Assert.Equal(3, budget.Held);
        b.InUse = false;
        budget.TrimToCapacity(spare: newcomer);
        Assert.False(b.Holding);
        Assert.True(newcomer.Holding);
        Assert.Equal(2, budget.Held);
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
