using Gregor.Broker.Groups;
using Gregor.Protocol;
using static Gregor.Broker.Tests.Groups.Coordinators;

namespace Gregor.Broker.Tests.Groups;

/// <summary>
/// Twenty simulated consumers join, leave, crash and rejoin at random (seeded) for a simulated minute in 100 ms
/// steps. Each runs the simple range assignor when it leads. Checked throughout: within one generation no
/// partition is handed to two members, every leader's assignment covers all partitions, and no committed
/// offset ever goes backwards.
/// </summary>
public sealed class GroupSimulationTests
{
    private const int Partitions = 12;
    private const string Topic = "t";

    private sealed class SimMember(int id)
    {
        public int Id { get; } = id;
        public string MemberId = "";
        public int Generation = -1;
        public bool Alive;
        public bool Crashed;
        public Task<JoinGroupResult>? Joining;
        public Task<SyncGroupResult>? Syncing;
        public List<int> Owned = [];
        public long NextHeartbeatMs;
        public Dictionary<int, long> Position = [];
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task MembersComingAndGoingNeverShareAPartitionAndOffsetsNeverGoBack(int seed)
    {
        var (generationsSeen, commits) = await Simulate(seed);
        Assert.True(generationsSeen >= 5, $"only {generationsSeen} generations completed");
        Assert.True(commits >= 100, $"only {commits} commits succeeded");
    }

    /// <summary>Time and member ids are both seeded, so a seed replays the same run exactly.</summary>
    [Fact]
    public async Task A_seed_replays_the_same_run()
    {
        Assert.Equal(await Simulate(2), await Simulate(2));
    }

    private static async Task<(int GenerationsSeen, int Commits)> Simulate(int seed)
    {
        var random = new Random(seed);
        var clock = new FakeClock();
        var log = new MemoryGroupLog();
        var c = Start(log, clock, Config with { GroupInitialRebalanceDelayMs = 500 }, memberIdSeed: seed);
        var members = Enumerable.Range(0, 20).Select(i => new SimMember(i)).ToList();
        var ownersByGeneration = new Dictionary<int, Dictionary<int, string>>();
        var lastCommitted = new Dictionary<int, long>();
        int generationsSeen = 0, commits = 0;

        for (int step = 0; step < 600; step++)
        {
            clock.Advance(100);
            long now = clock.GetUtcNow().ToUnixTimeMilliseconds();
            foreach (SimMember m in members)
            {
                double roll = random.NextDouble();
                if (!m.Alive)
                {
                    if (roll < 0.02) { m.Alive = true; m.Crashed = false; m.MemberId = ""; m.Joining = Join(c, m); }
                    continue;
                }
                if (m.Crashed) continue;
                if (roll < 0.004) { m.Alive = false; m.Crashed = true; m.Joining = null; m.Syncing = null; m.Owned = []; continue; } // stops talking
                if (roll < 0.008 && m.MemberId.Length > 0)
                {
                    c.LeaveGroup("g", [new LeavingMember(m.MemberId, null)]);
                    m.Alive = false; m.Joining = null; m.Syncing = null; m.Owned = [];
                    continue;
                }
                if (m.Joining is { IsCompleted: true } joining)
                {
                    m.Joining = null;
                    JoinGroupResult r = await joining;
                    if (r.Error == ErrorCode.MemberIdRequired) { m.MemberId = r.MemberId; m.Joining = Join(c, m); }
                    else if (r.Error == ErrorCode.None)
                    {
                        m.MemberId = r.MemberId;
                        m.Generation = r.GenerationId;
                        var assignments = new List<(string, byte[])>();
                        if (r.Members.Count > 0)
                        {
                            var ids = r.Members.Select(x => x.MemberId).OrderBy(x => x, StringComparer.Ordinal).ToList();
                            var covered = new HashSet<int>();
                            for (int i = 0; i < ids.Count; i++)
                            {
                                int per = Partitions / ids.Count, extra = Partitions % ids.Count;
                                int start = i * per + Math.Min(i, extra), count = per + (i < extra ? 1 : 0);
                                var mine = Enumerable.Range(start, count).ToList();
                                mine.ForEach(p => Assert.True(covered.Add(p)));
                                assignments.Add((ids[i], Coordinators.Partitions(mine)));
                            }
                            Assert.Equal(Partitions, covered.Count);
                        }
                        m.Syncing = c.SyncGroupAsync(new SyncGroupArgs("g", r.GenerationId, m.MemberId, null, null, null, assignments));
                    }
                    else { m.MemberId = r.Error == ErrorCode.UnknownMemberId ? "" : m.MemberId; m.Joining = Join(c, m); }
                    continue;
                }
                if (m.Syncing is { IsCompleted: true } syncing)
                {
                    m.Syncing = null;
                    SyncGroupResult r = await syncing;
                    if (r.Error != ErrorCode.None) { m.Owned = []; m.Joining = Join(c, m); continue; }
                    m.Owned = ReadPartitions(r.Assignment);
                    var owners = ownersByGeneration.TryGetValue(m.Generation, out var o) ? o : ownersByGeneration[m.Generation] = [];
                    if (owners.Count == 0) generationsSeen++;
                    foreach (int p in m.Owned)
                    {
                        Assert.False(owners.TryGetValue(p, out string? other) && other != m.MemberId, $"generation {m.Generation}: partition {p} given to {other} and {m.MemberId}");
                        owners[p] = m.MemberId;
                        var fetched = c.FetchOffsets("g", [(Topic, [p])]).Offsets[0].Offset;
                        m.Position[p] = fetched?.Offset ?? 0;
                    }
                    continue;
                }
                if (m.Joining is null && m.Syncing is null && now >= m.NextHeartbeatMs)
                {
                    m.NextHeartbeatMs = now + 1000;
                    ErrorCode hb = c.Heartbeat("g", m.MemberId, null, m.Generation);
                    if (hb != ErrorCode.None)
                    {
                        // Eager protocol: commit what was consumed, give everything up, rejoin.
                        if (hb == ErrorCode.RebalanceInProgress) Commit(c, m, lastCommitted, ref commits);
                        m.Owned = [];
                        if (hb == ErrorCode.UnknownMemberId) m.MemberId = "";
                        m.Joining = Join(c, m);
                        continue;
                    }
                    foreach (int p in m.Owned) m.Position[p] += random.Next(0, 20);
                    Commit(c, m, lastCommitted, ref commits);
                }
            }
            c.Poll();
        }
        return (generationsSeen, commits);
    }

    private static Task<JoinGroupResult> Join(GroupCoordinator c, SimMember m) =>
        c.JoinGroupAsync(Coordinators.Join("g", m.MemberId, sessionMs: 6000, rebalanceMs: 6000, metadata: Subscription(Topic)));

    private static void Commit(GroupCoordinator c, SimMember m, Dictionary<int, long> lastCommitted, ref int commits)
    {
        if (m.Owned.Count == 0) return;
        var results = c.CommitOffsets(new OffsetCommitArgs("g", m.Generation, m.MemberId, null,
            m.Owned.Select(p => new OffsetToCommit(Topic, p, m.Position[p], -1, null)).ToList()));
        foreach (var (offset, error) in results)
        {
            if (error != ErrorCode.None) continue;
            commits++;
            long before = lastCommitted.GetValueOrDefault(offset.Partition);
            Assert.True(offset.Offset >= before, $"partition {offset.Partition} went back from {before} to {offset.Offset}");
            lastCommitted[offset.Partition] = offset.Offset;
        }
    }
}
