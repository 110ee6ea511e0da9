using Gregor.Protocol;

namespace Gregor.Raft.Tests;

/// <summary>
/// <see cref="RaftNode.HasCaughtUpWithLeader"/>: a broker serves its metadata only once its member of the quorum holds
/// everything a leader had committed when it answered, never from the stale log it restarted with.
/// </summary>
public sealed class HasCaughtUpWithLeaderTests
{
    private static readonly RaftSettings Settings = new();

    private static MemoryRaftLog LogOf(params (long BaseOffset, int Epoch, int Records)[] batches)
    {
        var log = new MemoryRaftLog();
        foreach (var (baseOffset, epoch, records) in batches)
            log.Append(new RaftBatch(baseOffset, epoch, records, false, new byte[] { (byte)baseOffset }));
        log.Flush();
        return log;
    }

    /// <summary>A node restarted with <paramref name="log"/> and the quorum state it had written: following <paramref name="leader"/> in <paramref name="epoch"/>.</summary>
    private static RaftNode Restarted(int id, int[] voters, MemoryRaftLog log, int epoch, int leader)
    {
        var store = new MemoryQuorumStateStore();
        store.Write(new QuorumStateData(epoch, -1, leader));
        return new RaftNode(id, voters, Settings, log, store, new Random(id), 0);
    }

    private static FetchRequest SentFetch(RaftNode node) => node.TakeOutbox().Select(e => e.Message).OfType<FetchRequest>().Single();

    [Fact]
    public void A_restarted_follower_has_not_caught_up_until_the_leader_answers_with_no_more_committed_than_it_holds()
    {
        var log = LogOf((0, 1, 5));
        var node = Restarted(2, [1, 2, 3], log, epoch: 1, leader: 1);
        Assert.Equal(RaftRole.Follower, node.Role);
        Assert.False(node.HasCaughtUpWithLeader); // five entries, but nobody has said what is committed
        var fetch = SentFetch(node);
        Assert.Equal(5, fetch.FetchOffset);

        // Time passes with no answer: still nothing known.
        node.Tick(Settings.FetchTimeoutMs / 2);
        Assert.False(node.HasCaughtUpWithLeader);
        fetch = node.TakeOutbox().Select(e => e.Message).OfType<FetchRequest>().SingleOrDefault() ?? fetch;

        // The same answer from a voter that is not the leader counts for nothing.
        node.Receive(Settings.FetchTimeoutMs / 2 + 1, new RaftEnvelope(3, 2, new FetchResponse(fetch.CorrelationId, ErrorCode.None, 1, 1, 5, [], null, null)));
        Assert.False(node.HasCaughtUpWithLeader);

        // The leader has committed 8 and sends two more: the follower holds 7 of them, not yet everything.
        long now = Settings.FetchTimeoutMs / 2 + 100; // past the retry backoff that answer started
        node.Tick(now);
        fetch = SentFetch(node);
        node.Receive(now, new RaftEnvelope(1, 2, new FetchResponse(fetch.CorrelationId, ErrorCode.None, 1, 1, 8,
            [new RaftBatch(5, 1, 2, false, new byte[] { 5 })], null, null)));
        Assert.Equal(7, log.EndOffset);
        Assert.Equal(7, node.HighWatermark);
        Assert.False(node.HasCaughtUpWithLeader);

        fetch = SentFetch(node);
        Assert.Equal(7, fetch.FetchOffset);
        node.Receive(now + 1, new RaftEnvelope(1, 2, new FetchResponse(fetch.CorrelationId, ErrorCode.None, 1, 1, 8,
            [new RaftBatch(7, 1, 1, false, new byte[] { 7 })], null, null)));
        Assert.Equal(8, node.HighWatermark);
        Assert.True(node.HasCaughtUpWithLeader);
    }

    [Fact]
    public void A_restarted_observer_catches_up_through_the_leader_it_discovers()
    {
        var log = LogOf((0, 1, 3));
        var node = new RaftNode(4, [1, 2, 3], Settings, log, new MemoryQuorumStateStore(), new Random(4), 0);
        Assert.False(node.IsVoter);
        node.Tick(1);
        var discovery = Assert.Single(node.TakeOutbox());
        var request = Assert.IsType<FetchRequest>(discovery.Message);
        // The voter asked answers who leads; that answer is no leader's account of what is committed.
        node.Receive(2, new RaftEnvelope(discovery.Destination, 4, new FetchResponse(request.CorrelationId, ErrorCode.NotLeaderOrFollower, 1, 1, -1, [], null, null)));
        Assert.Equal((RaftRole.Follower, 1), (node.Role, node.LeaderId));
        Assert.False(node.HasCaughtUpWithLeader);

        var fetch = SentFetch(node);
        node.Receive(3, new RaftEnvelope(1, 4, new FetchResponse(fetch.CorrelationId, ErrorCode.None, 1, 1, 3, [], null, null)));
        Assert.True(node.HasCaughtUpWithLeader);
        Assert.Equal(3, node.HighWatermark);
    }

    [Fact]
    public void A_leader_has_caught_up_once_its_epoch_has_begun()
    {
        var alone = new RaftNode(1, [1], Settings, new MemoryRaftLog(), new MemoryQuorumStateStore(), new Random(1), 0);
        Assert.True(alone.IsLeaderReady);
        Assert.True(alone.HasCaughtUpWithLeader);

        var node = ElectedLeaderOfThree(LogOf((0, 1, 5)), out long now);
        Assert.Equal(RaftRole.Leader, node.Role);
        Assert.False(node.HasCaughtUpWithLeader); // leads, but its first entry has not committed: what was committed before is not known yet

        node.Receive(++now, new RaftEnvelope(2, 1, new FetchRequest(1, node.Epoch, 2, 6, node.Epoch, 1 << 20, 0)));
        Assert.True(node.IsLeaderReady);
        Assert.True(node.HasCaughtUpWithLeader);
    }

    [Fact]
    public void A_new_leader_gives_no_high_watermark_until_its_epoch_has_begun_so_nobody_catches_up_to_a_stale_one()
    {
        // Node 1 followed node 2 in epoch 1 and last heard of a high watermark of 3; node 2 may have committed all 5
        // entries since. Node 1 now leads epoch 2: until its own first entry commits, 3 is no account of what is committed.
        var log = LogOf((0, 1, 5));
        var leader = Restarted(1, [1, 2, 3], log, epoch: 1, leader: 2);
        var fetch = SentFetch(leader);
        leader.Receive(1, new RaftEnvelope(2, 1, new FetchResponse(fetch.CorrelationId, ErrorCode.None, 2, 1, 3, [], null, null)));
        Assert.Equal(3, leader.HighWatermark);
        leader = ElectedLeaderOfThree(log, out long now, leader);

        // An observer restarted with the same five entries asks the new leader.
        leader.Receive(++now, new RaftEnvelope(4, 1, new FetchRequest(7, leader.Epoch, 4, 5, 1, 1 << 20, 0)));
        var answer = leader.TakeOutbox().Select(e => e.Message).OfType<FetchResponse>().Single();
        Assert.Equal(-1, answer.HighWatermark);

        var observer = new RaftNode(4, [1, 2, 3], Settings, LogOf((0, 1, 5)), new MemoryQuorumStateStore(), new Random(4), 0);
        observer.Tick(1);
        var discovery = Assert.IsType<FetchRequest>(Assert.Single(observer.TakeOutbox()).Message);
        observer.Receive(2, new RaftEnvelope(1, 4, new FetchResponse(discovery.CorrelationId, ErrorCode.NotLeaderOrFollower, 1, leader.Epoch, -1, [], null, null)));
        var observerFetch = SentFetch(observer);
        observer.Receive(3, new RaftEnvelope(1, 4, answer with { CorrelationId = observerFetch.CorrelationId }));
        Assert.False(observer.HasCaughtUpWithLeader);
        Assert.Equal(0, observer.HighWatermark);

        // The observer asks again and waits for news; once a voter holds the new epoch's first entry, the leader
        // knows what is committed and says so.
        observerFetch = SentFetch(observer);
        Assert.Equal(6, observerFetch.FetchOffset);
        leader.Receive(++now, new RaftEnvelope(4, 1, observerFetch));
        Assert.DoesNotContain(leader.TakeOutbox(), e => e.Destination == 4);
        leader.Receive(++now, new RaftEnvelope(3, 1, new FetchRequest(1, leader.Epoch, 3, 6, leader.Epoch, 1 << 20, 0)));
        Assert.True(leader.IsLeaderReady);
        answer = leader.TakeOutbox().Where(e => e.Destination == 4).Select(e => e.Message).OfType<FetchResponse>().Single();
        Assert.Equal(6, answer.HighWatermark);
        observer.Receive(4, new RaftEnvelope(1, 4, answer));
        Assert.True(observer.HasCaughtUpWithLeader);
        Assert.Equal(6, observer.HighWatermark);
    }

    /// <summary>Node 1 of three voters, restarted as a follower of node 2 with <paramref name="log"/>, stands and wins epoch 2.</summary>
    private static RaftNode ElectedLeaderOfThree(MemoryRaftLog log, out long now, RaftNode? restarted = null)
    {
        var node = restarted ?? Restarted(1, [1, 2, 3], log, epoch: 1, leader: 2);
        node.TakeOutbox();
        now = Settings.FetchTimeoutMs * 2;
        node.Tick(now);
        Assert.Equal(RaftRole.Prospective, node.Role);
        foreach (var envelope in node.TakeOutbox().Where(e => e.Message is VoteRequest))
            node.Receive(now, new RaftEnvelope(envelope.Destination, 1, new VoteResponse(ErrorCode.None, 1, -1, true, PreVote: true)));
        Assert.Equal(RaftRole.Candidate, node.Role);
        node.Receive(++now, new RaftEnvelope(2, 1, new VoteResponse(ErrorCode.None, node.Epoch, -1, true, PreVote: false)));
        Assert.Equal(RaftRole.Leader, node.Role);
        node.Tick(++now);
        node.TakeOutbox();
        return node;
    }
}
