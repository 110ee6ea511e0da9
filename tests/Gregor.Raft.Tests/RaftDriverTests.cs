namespace Gregor.Raft.Tests;

/// <summary>
/// Three drivers in one process, joined by a transport that calls each other's inbound handler: the real loop, real
/// time. Run alone (not beside the simulation, which takes every core), so the timeouts mean what they say; how long
/// a failover takes is measured by the interop suite's quorum-failover, not asserted here.
/// </summary>
[Collection(RealTimeCollection.Name)]
public sealed class RaftDriverTests : IAsyncDisposable
{
    private static readonly RaftSettings Fast = new()
    {
        ElectionTimeoutMs = 150,
        FetchTimeoutMs = 300,
        ElectionBackoffMaxMs = 100,
        RequestTimeoutMs = 300,
        FetchMaxWaitMs = 100,
    };

    private readonly Dictionary<int, RaftDriver> _drivers = [];
    private readonly HashSet<int> _down = [];

    private sealed class InProcessTransport(RaftDriverTests cluster, int self) : IRaftTransport
    {
        public async Task<RaftMessage?> SendAsync(int destination, RaftMessage request, CancellationToken cancellationToken)
        {
            if (cluster._down.Contains(destination) || cluster._down.Contains(self)) return null;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Fast.RequestTimeoutMs);
            try
            {
                var answer = await cluster._drivers[destination].HandleAsync(self, request, timeout.Token);
                if (request is FetchRequest fetch && answer is FetchResponse fetched) answer = fetched with { CorrelationId = fetch.CorrelationId };
                if (request is FetchSnapshotRequest snapshot && answer is FetchSnapshotResponse part) answer = part with { CorrelationId = snapshot.CorrelationId };
                return answer;
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
    }

    private void Start(int id)
    {
        var origin = TimeProvider.System.GetTimestamp();
        var node = new RaftNode(id, [1, 2, 3], Fast, new MemoryRaftLog(), new MemoryQuorumStateStore(), new Random(id), 0);
        var driver = new RaftDriver(node, new InProcessTransport(this, id), TimeProvider.System, origin);
        _drivers[id] = driver;
        driver.Start();
    }

    private async Task<int> LeaderAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            foreach (var (id, driver) in _drivers)
            {
                if (_down.Contains(id)) continue;
                if (await driver.ReadAsync(n => n.Role) == RaftRole.Leader) return id;
            }
            await Task.Delay(20);
        }
        throw new TimeoutException($"no leader within {within}");
    }

    /// <summary>Proposes on whichever node leads until one commits (leadership may move under a loaded machine).</summary>
    private async Task<(int Leader, long Offset)> CommitAsync(byte value, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            int leader = await LeaderAsync(deadline - DateTime.UtcNow);
            try
            {
                return (leader, await _drivers[leader].ProposeAsync(new byte[] { value }, 1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
            }
            catch (Exception e) when (e is NotLeaderException or TimeoutException && DateTime.UtcNow < deadline)
            {
            }
        }
    }

    [Fact]
    public async Task AQuorumOfThreeElectsCommitsAndSurvivesItsLeader()
    {
        foreach (int id in new[] { 1, 2, 3 }) Start(id);
        var (leader, offset) = await CommitAsync(1, TimeSpan.FromSeconds(30));
        Assert.True(offset >= 1);

        // A follower refuses proposals.
        int follower = new[] { 1, 2, 3 }.First(i => i != leader);
        await Assert.ThrowsAsync<NotLeaderException>(() => _drivers[follower].ProposeAsync(new byte[] { 2 }, 1, CancellationToken.None));

        // The leader goes silent: the other two elect one of themselves and commit again, with the earlier batch kept.
        _down.Add(leader);
        var (next, later) = await CommitAsync(3, TimeSpan.FromSeconds(30));
        Assert.NotEqual(leader, next);
        Assert.True(later > offset);
        var committed = await _drivers[next].ReadAsync(n => n.ReadCommitted(0, 1 << 20));
        Assert.Contains(committed, b => !b.IsControl && b.Payload.Span[0] == 1 && b.EndOffset - 1 == offset);
    }

    private sealed class NoPeers : IRaftTransport
    {
        public Task<RaftMessage?> SendAsync(int destination, RaftMessage request, CancellationToken cancellationToken) => Task.FromResult<RaftMessage?>(null);
    }

    [Fact]
    public async Task AMemberWhoseLogCannotFlushStopsAndFailsEverythingWaitingOnIt()
    {
        var log = new MemoryRaftLog();
        var node = new RaftNode(1, [1], Fast, log, new MemoryQuorumStateStore(), new Random(1), 0);
        await using var driver = new RaftDriver(node, new NoPeers(), TimeProvider.System, TimeProvider.System.GetTimestamp());
        driver.Start();
        Assert.True(await driver.ProposeAsync(new byte[] { 1 }, 1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)) >= 1);

        log.FailFlushes = true;
        await Assert.ThrowsAsync<IOException>(() => driver.ProposeAsync(new byte[] { 2 }, 1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<IOException>(() => driver.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAsync<IOException>(() => driver.ReadAsync(n => n.Role));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var driver in _drivers.Values) await driver.DisposeAsync();
    }
}

/// <summary>Tests on the real clock, run one at a time and after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RealTimeCollection
{
    public const string Name = "real time";
}
