using Gregor.Raft.Tests.Simulation;

namespace Gregor.Raft.Tests;

/// <summary>Single behaviours of the Raft core, driven by hand.</summary>
public sealed class RaftNodeTests
{
    private static readonly RaftSettings Settings = new();

    private static RaftNode Node(int id, int[] voters, MemoryRaftLog? log = null, IQuorumStateStore? store = null, long now = 0) =>
        new(id, voters, Settings, log ?? new MemoryRaftLog(), store ?? new MemoryQuorumStateStore(), new Random(id), now);

    [Fact]
    public void AQuorumOfOneLeadsAtOnceAndCommitsOnceFlushed()
    {
        var log = new MemoryRaftLog();
        var node = Node(1, [1], log);
        Assert.Equal(RaftRole.Leader, node.Role);
        Assert.Equal(1, node.Epoch);
        long? offset = node.Propose(1, new byte[] { 7 }, 1);
        Assert.Equal(1, offset); // offset 0 is the leader-change marker
        Assert.Equal(1, node.HighWatermark);
        Assert.Equal(1, log.FlushedEndOffset);
        node.Tick(2);
        Assert.Equal(2, node.HighWatermark);
        Assert.Equal(2, log.FlushedEndOffset);
        var committed = node.ReadCommitted(0, 1024);
        Assert.True(committed[0].IsControl);
        Assert.Equal(new byte[] { 7 }, committed[1].Payload.ToArray());
    }

    [Fact]
    public void AVoteIsDurableBeforeTheAnswerIsQueued()
    {
        var store = new FailingStore();
        var node = Node(2, [1, 2, 3], store: store);
        store.FailWrites = true;
        Assert.Throws<IOException>(() =>
            node.Receive(10, new RaftEnvelope(1, 2, new VoteRequest(1, 1, new OffsetAndEpoch(0, 0), PreVote: false))));
        Assert.Empty(node.TakeOutbox());

        store.FailWrites = false;
        node.Receive(20, new RaftEnvelope(1, 2, new VoteRequest(1, 1, new OffsetAndEpoch(0, 0), PreVote: false)));
        var answer = Assert.IsType<VoteResponse>(Assert.Single(node.TakeOutbox()).Message);
        Assert.True(answer.VoteGranted);
        Assert.Equal(new QuorumStateData(1, 1, -1), store.Read());
    }

    [Fact]
    public void AVoteGoesToOneCandidatePerEpochAndNeverToAShorterLog()
    {
        var log = new MemoryRaftLog();
        log.Append(new RaftBatch(0, 1, 1, false, new byte[] { 1 }));
        var node = Node(3, [1, 2, 3], log);
        node.Receive(1, new RaftEnvelope(1, 3, new VoteRequest(2, 1, new OffsetAndEpoch(0, 0), PreVote: false)));
        Assert.False(Answer(node).VoteGranted); // its log lacks offset 0 of epoch 1
        node.Receive(2, new RaftEnvelope(2, 3, new VoteRequest(2, 2, new OffsetAndEpoch(1, 1), PreVote: false)));
        Assert.True(Answer(node).VoteGranted);
        node.Receive(3, new RaftEnvelope(1, 3, new VoteRequest(2, 1, new OffsetAndEpoch(5, 1), PreVote: false)));
        Assert.False(Answer(node).VoteGranted); // already voted for 2 in epoch 2
    }

    [Fact]
    public void APreVoteChangesNothingAndIsRefusedWhileTheLeaderIsHeard()
    {
        var store = new MemoryQuorumStateStore();
        var node = Node(3, [1, 2, 3], store: store);
        node.Receive(5, new RaftEnvelope(1, 3, new BeginQuorumEpochRequest(4, 1)));
        node.TakeOutbox();
        int writes = store.Writes;

        node.Receive(10, new RaftEnvelope(2, 3, new VoteRequest(5, 2, new OffsetAndEpoch(100, 4), PreVote: true)));
        Assert.False(Answer(node).VoteGranted);
        Assert.Equal(4, node.Epoch);
        Assert.Equal(writes, store.Writes);

        // Once the leader has been silent for a fetch timeout, the same pre-vote is granted: still nothing changes.
        node.Tick(10 + Settings.FetchTimeoutMs - 1);
        node.TakeOutbox();
        node.Receive(10 + Settings.FetchTimeoutMs - 1 + 1 + Settings.FetchTimeoutMs, new RaftEnvelope(2, 3, new VoteRequest(5, 2, new OffsetAndEpoch(100, 4), PreVote: true)));
        var answer = node.TakeOutbox().Select(e => e.Message).OfType<VoteResponse>().Single();
        Assert.True(answer.VoteGranted);
        Assert.Equal(4, node.Epoch);
    }

    [Fact]
    public void AFollowerTruncatesWhereItsLogDivergesFromTheLeaders()
    {
        var log = new MemoryRaftLog();
        log.Append(new RaftBatch(0, 1, 2, false, new byte[] { 1 }));
        log.Append(new RaftBatch(2, 2, 3, false, new byte[] { 2 })); // never committed: epoch 2's leader died
        var node = Node(2, [1, 2, 3], log);
        node.Receive(1, new RaftEnvelope(1, 2, new BeginQuorumEpochRequest(3, 1)));
        var fetch = node.TakeOutbox().Select(e => e.Message).OfType<FetchRequest>().Single();
        Assert.Equal(5, fetch.FetchOffset);
        Assert.Equal(2, fetch.LastFetchedEpoch);
        // The leader of epoch 3 holds epoch 1 up to offset 2 and never saw epoch 2.
        node.Receive(2, new RaftEnvelope(1, 2, new FetchResponse(fetch.CorrelationId, Protocol.ErrorCode.None, 1, 3, 2, [], new OffsetAndEpoch(2, 1), null)));
        Assert.Equal(2, log.EndOffset);
        var next = node.TakeOutbox().Select(e => e.Message).OfType<FetchRequest>().Single();
        Assert.Equal(2, next.FetchOffset);
        Assert.Equal(1, next.LastFetchedEpoch);
    }

    [Fact]
    public void ALeaderCutOffFromItsMajorityResigns()
    {
        var node = Node(1, [1, 2, 3]);
        node.Tick(Settings.ElectionTimeoutMs * 2);
        var preVotes = node.TakeOutbox();
        Assert.Equal(RaftRole.Prospective, node.Role);
        foreach (var envelope in preVotes)
            node.Receive(Settings.ElectionTimeoutMs * 2 + 1, new RaftEnvelope(envelope.Destination, 1, new VoteResponse(Protocol.ErrorCode.None, 0, -1, true, PreVote: true)));
        Assert.Equal(RaftRole.Candidate, node.Role);
        node.Receive(Settings.ElectionTimeoutMs * 2 + 2, new RaftEnvelope(2, 1, new VoteResponse(Protocol.ErrorCode.None, 1, -1, true, PreVote: false)));
        Assert.Equal(RaftRole.Leader, node.Role);
        node.TakeOutbox();
        // Nobody fetches: after one and a half fetch timeouts it gives up and tells the voters.
        node.Tick(Settings.ElectionTimeoutMs * 2 + 2 + Settings.FetchTimeoutMs * 3 / 2 + 1);
        Assert.Equal(RaftRole.Resigned, node.Role);
        Assert.Null(node.Propose(Settings.ElectionTimeoutMs * 2 + 3 + Settings.FetchTimeoutMs * 3 / 2, new byte[] { 1 }, 1));
        Assert.Contains(node.TakeOutbox(), e => e.Message is EndQuorumEpochRequest);
    }

    [Fact]
    public void ALeaderCommitsEarlierEpochsOnlyWithAnEntryOfItsOwn()
    {
        // Raft's "figure 8": entries of epoch 1 held by a majority are not committed by a leader of epoch 2
        // until its own first entry (the leader-change batch) is held by a majority too.
        var log = new MemoryRaftLog();
        log.Append(new RaftBatch(0, 1, 3, false, new byte[] { 1 }));
        log.Flush();
        var node = Node(1, [1, 2, 3], log);
        long now = Settings.ElectionTimeoutMs * 2;
        node.Tick(now);
        foreach (var envelope in node.TakeOutbox())
            node.Receive(now, new RaftEnvelope(envelope.Destination, 1, new VoteResponse(Protocol.ErrorCode.None, 0, -1, true, PreVote: true)));
        node.Receive(now, new RaftEnvelope(2, 1, new VoteResponse(Protocol.ErrorCode.None, 1, -1, true, PreVote: false)));
        Assert.Equal(RaftRole.Leader, node.Role);
        node.Tick(++now);
        Assert.Equal(4, log.FlushedEndOffset); // epoch 1's three records and the marker at 3
        node.TakeOutbox();

        node.Receive(++now, new RaftEnvelope(2, 1, new FetchRequest(1, node.Epoch, 2, 3, 1, 1 << 20, 0)));
        Assert.Equal(0, node.HighWatermark); // a majority holds offsets 0..2 of epoch 1, not the marker
        node.Receive(++now, new RaftEnvelope(2, 1, new FetchRequest(2, node.Epoch, 2, 4, node.Epoch, 1 << 20, 0)));
        Assert.Equal(4, node.HighWatermark);
    }

    [Fact]
    public void TheFileStoreKeepsTheStateAcrossReopening()
    {
        string dir = Directory.CreateTempSubdirectory("gregor-quorum-state-").FullName;
        try
        {
            var store = new FileQuorumStateStore(dir);
            Assert.Null(store.Read());
            store.Write(new QuorumStateData(7, 2, -1));
            store.Write(new QuorumStateData(8, -1, 3));
            Assert.Equal(new QuorumStateData(8, -1, 3), new FileQuorumStateStore(dir).Read());
            Assert.False(File.Exists(store.Path + ".tmp"));
            File.WriteAllText(store.Path, "{\"leaderEpoch\":");
            Assert.Throws<InvalidDataException>(() => new FileQuorumStateStore(dir).Read());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void TheSimulationFindsTheLossWhenFsyncLies()
    {
        // The checker must be able to fail: with a log whose flush does nothing, crashes lose acknowledged
        // (committed) batches, and some seed among a few dozen shows it.
        int failed = 0;
        for (int seed = 1; seed <= 60 && failed == 0; seed++)
        {
            try
            {
                new QuorumSimulation(new SimulationOptions(seed, 3, 0) { LyingFlush = true }).Run();
            }
            catch (InvariantViolationException)
            {
                failed++;
            }
        }
        Assert.True(failed > 0, "no seed noticed a log that loses what it flushed");
    }

    private static VoteResponse Answer(RaftNode node) =>
        Assert.IsType<VoteResponse>(Assert.Single(node.TakeOutbox()).Message);

    private sealed class FailingStore : IQuorumStateStore
    {
        private QuorumStateData? _state;
        public bool FailWrites { get; set; }
        public QuorumStateData? Read() => _state;
        public void Write(QuorumStateData state)
        {
            if (FailWrites) throw new IOException("disk full");
            _state = state;
        }
    }
}
