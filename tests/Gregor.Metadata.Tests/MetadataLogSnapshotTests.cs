using System.Globalization;
using Gregor.Metadata.Controller;
using Gregor.Raft;
using static Gregor.Metadata.Tests.ImageDescription;

namespace Gregor.Metadata.Tests;

/// <summary>The metadata log's snapshots: when they are taken, what they trim, and what a start reads.</summary>
public sealed class MetadataLogSnapshotTests : IDisposable
{
    private readonly List<ControllerFixture> _fixtures = [];

    public void Dispose()
    {
        foreach (var fixture in _fixtures) fixture.Dispose();
    }

    private ControllerFixture Fixture(MetadataSnapshotPolicy snapshots, TimeProvider? time = null)
    {
        var fixture = new ControllerFixture(snapshots: snapshots, time: time);
        _fixtures.Add(fixture);
        return fixture;
    }

    [Fact]
    public async Task A_snapshot_is_taken_past_the_byte_threshold_trims_the_log_and_restart_starts_from_it()
    {
        var f = Fixture(new MetadataSnapshotPolicy(MaxRecordBytesBetweenSnapshots: 4096, MaxIntervalMs: 0));
        string firstSegment = Path.Combine(f.LogDirectory, "00000000000000000000.log");
        Assert.True(File.Exists(firstSegment));
        int created = 0;
        while (f.Log.SnapshotsTaken == 0)
        {
            await f.CreateAsync("t" + created, partitions: 2, configs: ("retention.ms", created.ToString(CultureInfo.InvariantCulture)));
            created++;
            Assert.True(created < 100, "no snapshot after 100 topics");
        }
        Assert.True(created > 2, $"a snapshot after only {created} topics: the threshold is not what triggered it");
        SnapshotId snapshot = f.Log.LatestSnapshot!.Value;
        Assert.Equal(f.Log.LogEndOffset, snapshot.EndOffset);
        Assert.Equal(f.Log.Epoch, snapshot.Epoch);
        Assert.Equal(snapshot.EndOffset, f.Log.LogStartOffset);
        Assert.True(File.Exists(Path.Combine(f.LogDirectory, snapshot + ".checkpoint")));
        // The segment the snapshot covers is gone; what is left starts at the snapshot's end.
        Assert.False(File.Exists(firstSegment));
        foreach (string segment in Directory.GetFiles(f.LogDirectory, "*.log"))
            Assert.True(long.Parse(Path.GetFileNameWithoutExtension(segment), CultureInfo.InvariantCulture) >= snapshot.EndOffset, segment);

        // Two more operations stay under the threshold: they are in the log only.
        await f.CreateAsync("after-1");
        await f.Controller.IncrementalAlterConfigsAsync([new ConfigResourceChanges(ConfigResourceType.Broker, "", [new ConfigChange("log.retention.hours", ConfigOperationKind.Set, "5")])], false);
        Assert.Equal(1, f.Log.SnapshotsTaken);
        string before = Describe(f.Image);

        f.Reopen();

        Assert.Equal(before, Describe(f.Image));
        Assert.Equal(snapshot, f.Log.ReplayedSnapshot);
        // The two operations and this start's leader change: nothing from before the snapshot.
        Assert.Equal(3, f.Log.BatchesReplayed);
        Assert.Equal(created + 1, f.Image.TopicsByName.Count);
    }

    [Fact]
    public async Task A_snapshot_is_taken_after_the_interval_once_something_was_committed()
    {
        var clock = new ManualClock();
        var f = Fixture(new MetadataSnapshotPolicy(MaxRecordBytesBetweenSnapshots: long.MaxValue, MaxIntervalMs: 60_000), clock);
        await f.CreateAsync("a");
        Assert.Equal(0, f.Log.SnapshotsTaken);
        clock.Advance(TimeSpan.FromSeconds(61));
        await f.CreateAsync("b");
        Assert.Equal(1, f.Log.SnapshotsTaken);
        // Time alone, with nothing new committed, takes no snapshot.
        clock.Advance(TimeSpan.FromSeconds(61));
        await f.Controller.RegisterBrokerAsync(f.NodeId, [new BrokerEndpointInfo("PLAINTEXT", "localhost", 9092, 0)], null);
        Assert.Equal(1, f.Log.SnapshotsTaken);
        await f.CreateAsync("c");
        Assert.Equal(2, f.Log.SnapshotsTaken);
        string before = Describe(f.Image);
        f.Reopen();
        Assert.Equal(before, Describe(f.Image));
        Assert.Equal(1, f.Log.BatchesReplayed);
    }

    [Fact]
    public async Task A_damaged_snapshot_file_stops_the_start_naming_the_file()
    {
        var f = Fixture(new MetadataSnapshotPolicy(MaxRecordBytesBetweenSnapshots: 1, MaxIntervalMs: 0));
        await f.CreateAsync("a", partitions: 3);
        string file = Path.Combine(f.LogDirectory, f.Log.LatestSnapshot!.Value + ".checkpoint");
        f.Close();
        byte[] good = File.ReadAllBytes(file);

        byte[] bad = (byte[])good.Clone();
        bad[bad.Length / 2] ^= 0x01;
        File.WriteAllBytes(file, bad);
        var e = Assert.Throws<MetadataLogCorruptException>(() => f.Open());
        Assert.Contains(file, e.Message, StringComparison.Ordinal);

        File.WriteAllBytes(file, good[..(good.Length - 20)]);
        e = Assert.Throws<MetadataLogCorruptException>(() => f.Open());
        Assert.Contains(file, e.Message, StringComparison.Ordinal);

        File.WriteAllBytes(file, good);
        f.Open();
        Assert.NotNull(f.Image.Topic("a"));
    }

    [Fact]
    public async Task A_leftover_part_file_is_ignored_and_removed()
    {
        var f = Fixture(new MetadataSnapshotPolicy(MaxRecordBytesBetweenSnapshots: 1, MaxIntervalMs: 0));
        await f.CreateAsync("a");
        SnapshotId snapshot = f.Log.LatestSnapshot!.Value;
        string before = Describe(f.Image);
        f.Close();
        // A crash while writing a newer snapshot leaves its .part behind.
        string partial = Path.Combine(f.LogDirectory, new SnapshotId(snapshot.EndOffset + 50, snapshot.Epoch) + ".checkpoint.part");
        File.WriteAllBytes(partial, [1, 2, 3]);

        f.Open();

        Assert.Equal(before, Describe(f.Image));
        Assert.Equal(snapshot, f.Log.ReplayedSnapshot);
        Assert.False(File.Exists(partial));
    }

    [Fact]
    public async Task A_snapshot_on_demand_covers_everything_committed_and_replay_needs_nothing_else()
    {
        var f = Fixture(MetadataSnapshotPolicy.Default);
        await f.CreateAsync("a", partitions: 4, configs: ("retention.ms", "7"));
        await f.Controller.CreatePartitionsAsync([new PartitionIncrease("a", 6, null)], false);
        Assert.Equal(0, f.Log.SnapshotsTaken);
        Assert.Null(f.Log.LatestSnapshot);
        SnapshotId id = f.Log.CreateSnapshot()!.Value;
        Assert.Equal(f.Log.LogEndOffset, id.EndOffset);
        Assert.Null(f.Log.CreateSnapshot()); // nothing new
        string before = Describe(f.Image);

        f.Reopen();

        Assert.Equal(before, Describe(f.Image));
        Assert.Equal(1, f.Log.BatchesReplayed);
    }

    /// <summary>A clock the test moves by hand, for wall time and for elapsed time alike.</summary>
    private sealed class ManualClock : TimeProvider
    {
        private DateTimeOffset _now = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000);

        public override DateTimeOffset GetUtcNow() => _now;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public override long GetTimestamp() => _now.UtcTicks;

        public void Advance(TimeSpan by) => _now += by;
    }
}
