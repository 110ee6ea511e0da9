using System.Buffers.Binary;
using System.Text;

namespace Gregor.Raft.Tests.Simulation;

/// <summary>
/// A deterministic simulation of a KRaft quorum (in the manner of FoundationDB's and TigerBeetle's simulators):
/// in-memory logs and network, virtual time, and every fault — message loss, duplication, delay and reordering,
/// partitions, pauses, crashes that lose unflushed writes — drawn from one seed, so a failing seed replays exactly.
/// After every step it checks the quorum's safety: at most one leader per epoch, no committed batch ever lost or
/// changed on any node, each node's high watermark never going back, and logs that agree below the high
/// watermark. After the faults heal it checks that the quorum converges and every acknowledged write is there.
/// </summary>
internal sealed class QuorumSimulation
{
    private const int TickIntervalMs = 10;
    private const int TraceLines = 60;

    private readonly SimulationOptions _options;
    private readonly Random _random;
    private readonly SimulatedNetwork _network;
    private readonly SimulatedNode[] _nodes;
    private readonly int[] _voterIds;
    private readonly PriorityQueue<SimEvent, (long Time, long Sequence)> _events = new();
    private readonly Dictionary<int, int> _leaderOfEpoch = [];
    private readonly Dictionary<long, AppliedBatch> _committed = [];
    private readonly Dictionary<long, (long Offset, int Epoch, int Node)> _proposals = [];
    private readonly Dictionary<long, long> _acknowledged = [];
    private readonly Queue<string> _trace = new();
    private readonly int _snapshotEvery;
    private long _sequence;
    private long _now;
    private long _nextValue = 1;
    private bool _healed;

    public SimulationStats Stats { get; } = new();

    public QuorumSimulation(SimulationOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        double loss = _random.NextDouble() * 0.1;
        double duplicate = _random.NextDouble() * 0.05;
        _network = new SimulatedNetwork(_random, loss, duplicate, maxDelayMs: 1 + _random.Next(30));
        _snapshotEvery = 10 + _random.Next(200);
        _voterIds = Enumerable.Range(1, options.Voters).ToArray();
        _nodes = Enumerable.Range(1, options.Voters + options.Observers).Select(id => new SimulatedNode(id, options.LyingFlush)).ToArray();
    }

    private abstract record SimEvent;
    private sealed record Deliver(RaftEnvelope Envelope) : SimEvent;
    private sealed record Tick(int Node, int Incarnation) : SimEvent;
    private sealed record Fault : SimEvent;
    private sealed record Propose : SimEvent;
    private sealed record Restart(int Node) : SimEvent;
    private sealed record Resume(int Node) : SimEvent;
    private sealed record Heal : SimEvent;

    public void Run()
    {
        try
        {
            foreach (var node in _nodes) StartNode(node);
            Schedule(_random.Next(500), new Fault());
            Schedule(_random.Next(50), new Propose());
            Schedule(_options.FaultPhaseMs, new Heal());
            long end = _options.FaultPhaseMs + _options.HealPhaseMs;
            while (_events.TryDequeue(out var e, out var at))
            {
                if (at.Time > end) break;
                _now = at.Time;
                Handle(e);
            }
            CheckConverged();
        }
        catch (InvariantViolationException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw Violation($"the simulation threw: {e}");
        }
    }

    private void Schedule(long delay, SimEvent e) => _events.Enqueue(e, (_now + delay, _sequence++));

    private void Trace(string line)
    {
        if (_options.Verbose) Console.WriteLine($"[{_now}] {line}");
        _trace.Enqueue($"[{_now}] {line}");
        if (_trace.Count > TraceLines) _trace.Dequeue();
    }

    private InvariantViolationException Violation(string message)
    {
        var text = new StringBuilder();
        text.AppendLine($"seed {_options.Seed} ({_options.Voters} voters, {_options.Observers} observers) at {_now} ms: {message}");
        text.AppendLine($"replay: GREGOR_RAFT_SEED={_options.Seed} dotnet test tests/Gregor.Raft.Tests --filter ReplaysOneSeed");
        text.AppendLine("last events:");
        foreach (string line in _trace) text.AppendLine("  " + line);
        foreach (var n in _nodes)
            text.AppendLine($"  node {n.Id}: {(n.Raft is { } r ? $"{r.Role} epoch {r.Epoch} leader {r.LeaderId} hw {r.HighWatermark} log [{n.Log.StartOffset},{n.Log.EndOffset}) flushed {n.Log.FlushedEndOffset}" : "down")}{(n.Paused ? " paused" : "")}");
        return new InvariantViolationException(text.ToString());
    }

    private void StartNode(SimulatedNode node)
    {
        node.Incarnation++;
        node.Raft = new RaftNode(node.Id, _voterIds, _options.Raft, node.Log, node.Store, new Random(_random.Next()), _now);
        node.LoadStateFromSnapshot();
        node.LastHighWatermark = node.Raft.HighWatermark;
        node.SnapshotsInstalledSeen = 0;
        Trace($"node {node.Id} starts: {node.Raft.Role} epoch {node.Raft.Epoch}, log [{node.Log.StartOffset},{node.Log.EndOffset})");
        AfterStep(node);
        Schedule(1 + _random.Next(TickIntervalMs), new Tick(node.Id, node.Incarnation));
    }

    private SimulatedNode Node(int id) => _nodes[id - 1];

    private void Handle(SimEvent e)
    {
        switch (e)
        {
            case Deliver d:
            {
                var node = Node(d.Envelope.Destination);
                if (!node.IsUp || _network.IsCut(d.Envelope.Source, d.Envelope.Destination)) return;
                if (node.Paused)
                {
                    node.HeldWhilePaused.Add(d.Envelope);
                    return;
                }
                if (_options.Verbose) Trace($"deliver {d.Envelope}");
                node.Raft!.Receive(_now, d.Envelope);
                Stats.Delivered++;
                AfterStep(node);
                break;
            }
            case Tick t:
            {
                var node = Node(t.Node);
                if (!node.IsUp || node.Incarnation != t.Incarnation) return;
                if (!node.Paused)
                {
                    node.Raft!.Tick(_now);
                    AfterStep(node);
                }
                Schedule(TickIntervalMs, t);
                break;
            }
            case Fault:
                InjectFault();
                if (!_healed) Schedule(200 + _random.Next(1500), e);
                break;
            case Propose:
                ProposeValue();
                if (_now < _options.FaultPhaseMs + _options.HealPhaseMs - 5_000) Schedule(1 + _random.Next(60), e);
                break;
            case Restart r:
                if (!Node(r.Node).IsUp) StartNode(Node(r.Node));
                break;
            case Resume r:
                ResumeNode(Node(r.Node));
                break;
            case Heal:
                _healed = true;
                _network.HealAll();
                _network.Calm();
                Trace("heal: every link restored, every node up and running");
                foreach (var node in _nodes)
                {
                    if (!node.IsUp) StartNode(node);
                    ResumeNode(node);
                }
                break;
        }
    }

    private void InjectFault()
    {
        if (_healed) return;
        var up = _nodes.Where(n => n.IsUp).ToArray();
        switch (_random.Next(7))
        {
            case 0 when up.Length > 0:
            {
                var victim = up[_random.Next(up.Length)];
                Crash(victim);
                break;
            }
            case 1:
            {
                var leader = up.FirstOrDefault(n => n.Raft!.Role == RaftRole.Leader);
                if (leader is not null) Crash(leader);
                break;
            }
            case 2:
            {
                var isolated = _nodes[_random.Next(_nodes.Length)];
                foreach (var other in _nodes)
                    if (other != isolated) _network.Cut(isolated.Id, other.Id);
                Trace($"partition: node {isolated.Id} cut off");
                break;
            }
            case 3:
            {
                var side = _nodes.Where(_ => _random.Next(2) == 0).Select(n => n.Id).ToHashSet();
                foreach (var a in _nodes)
                    foreach (var b in _nodes)
                        if (side.Contains(a.Id) && !side.Contains(b.Id)) _network.Cut(a.Id, b.Id);
                Trace($"partition: {{{string.Join(",", side)}}} from the rest");
                break;
            }
            case 4 when up.Length > 0:
            {
                var victim = up[_random.Next(up.Length)];
                if (victim.Paused) break;
                victim.Paused = true;
                Trace($"node {victim.Id} paused");
                Schedule(100 + _random.Next(1500), new Resume(victim.Id));
                break;
            }
            default:
                _network.HealAll();
                Trace("partitions healed");
                break;
        }
    }

    private void Crash(SimulatedNode node)
    {
        long lost = node.Log.EndOffset - node.Log.FlushedEndOffset;
        node.Raft = null;
        node.Paused = false;
        node.HeldWhilePaused.Clear();
        node.Log.LoseUnflushed();
        Stats.Crashes++;
        Trace($"node {node.Id} crashes, losing {lost} unflushed offsets");
        Schedule(50 + _random.Next(2000), new Restart(node.Id));
    }

    private void ResumeNode(SimulatedNode node)
    {
        if (!node.Paused) return;
        node.Paused = false;
        Trace($"node {node.Id} resumes with {node.HeldWhilePaused.Count} messages waiting");
        if (!node.IsUp) return;
        var held = node.HeldWhilePaused.ToArray();
        node.HeldWhilePaused.Clear();
        node.Raft!.Tick(_now);
        AfterStep(node);
        foreach (var envelope in held)
        {
            if (!node.IsUp) break;
            node.Raft!.Receive(_now, envelope);
            AfterStep(node);
        }
    }

    private void ProposeValue()
    {
        var leaders = _nodes.Where(n => n.IsUp && !n.Paused && n.Raft!.Role == RaftRole.Leader).ToArray();
        if (leaders.Length == 0) return;
        var leader = leaders[_random.Next(leaders.Length)];
        long value = _nextValue++;
        var payload = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(payload, value);
        long? offset = leader.Raft!.Propose(_now, payload, 1);
        if (offset is null) throw Violation($"node {leader.Id} is leader but refused a proposal");
        _proposals[value] = (offset.Value, leader.Raft.Epoch, leader.Id);
        Stats.Proposed++;
        AfterStep(leader);
    }

    /// <summary>Sends what the node queued, then checks every invariant that its step could have broken.</summary>
    private void AfterStep(SimulatedNode node)
    {
        var raft = node.Raft!;
        foreach (var envelope in raft.TakeOutbox())
            foreach (long at in _network.Schedule(_now, envelope))
                _events.Enqueue(new Deliver(envelope), (at, _sequence++));

        string state = $"{raft.Role} epoch {raft.Epoch} leader {raft.LeaderId} voted {raft.VotedId}";
        if (state != node.LastState)
        {
            node.LastState = state;
            Trace($"node {node.Id}: {state}");
        }
        if (raft.Role == RaftRole.Leader)
        {
            if (_leaderOfEpoch.TryGetValue(raft.Epoch, out int other) && other != node.Id)
                throw Violation($"two leaders in epoch {raft.Epoch}: {other} and {node.Id}");
            if (_leaderOfEpoch.TryAdd(raft.Epoch, node.Id))
            {
                Stats.Elections++;
                Trace($"node {node.Id} leads epoch {raft.Epoch}");
            }
        }
        if (raft.HighWatermark < node.LastHighWatermark)
            throw Violation($"node {node.Id}'s high watermark went back from {node.LastHighWatermark} to {raft.HighWatermark}");
        node.LastHighWatermark = raft.HighWatermark;

        if (raft.SnapshotsInstalled != node.SnapshotsInstalledSeen)
        {
            node.SnapshotsInstalledSeen = raft.SnapshotsInstalled;
            node.LoadStateFromSnapshot();
            foreach (var batch in node.Applied) CheckCommitted(node, batch);
            Stats.SnapshotsInstalled++;
            Trace($"node {node.Id} installed snapshot {node.Log.LatestSnapshot}");
        }
        Apply(node);
        if (raft.Role == RaftRole.Leader) Acknowledge(node);
        MaybeSnapshot(node);
    }

    private void Apply(SimulatedNode node)
    {
        var raft = node.Raft!;
        while (node.AppliedEnd < raft.HighWatermark)
        {
            if (node.AppliedEnd < node.Log.StartOffset)
                throw Violation($"node {node.Id} applied up to {node.AppliedEnd} but its log starts at {node.Log.StartOffset} with no snapshot loaded");
            var batches = raft.ReadCommitted(node.AppliedEnd, 64 * 1024);
            if (batches.Count == 0)
                throw Violation($"node {node.Id} has high watermark {raft.HighWatermark} but nothing committed to read at {node.AppliedEnd}");
            foreach (var batch in batches)
            {
                long value = batch.IsControl ? -1 : BinaryPrimitives.ReadInt64BigEndian(batch.Payload.Span);
                var applied = new AppliedBatch(batch.BaseOffset, batch.Epoch, value, batch.IsControl);
                CheckCommitted(node, applied);
                node.Applied.Add(applied);
                node.AppliedEnd = batch.EndOffset;
            }
        }
    }

    /// <summary>The first node to commit a batch defines it; every other node must commit the very same batch there.</summary>
    private void CheckCommitted(SimulatedNode node, AppliedBatch batch)
    {
        if (_committed.TryGetValue(batch.Offset, out var known))
        {
            if (known != batch)
                throw Violation($"node {node.Id} committed {batch} where {known} was committed before");
            return;
        }
        _committed[batch.Offset] = batch;
        if (!batch.IsControl)
        {
            if (!_proposals.TryGetValue(batch.Value, out var proposal))
                throw Violation($"node {node.Id} committed value {batch.Value}, which was never proposed");
            if (proposal.Offset != batch.Offset || proposal.Epoch != batch.Epoch)
                throw Violation($"value {batch.Value} committed at {batch.Offset}@{batch.Epoch}, proposed at {proposal.Offset}@{proposal.Epoch}");
        }
    }

    /// <summary>What a leader would now answer "done" for: proposals of its epoch below its high watermark.</summary>
    private void Acknowledge(SimulatedNode leader)
    {
        var raft = leader.Raft!;
        foreach (var (value, proposal) in _proposals)
        {
            if (proposal.Node != leader.Id || proposal.Epoch != raft.Epoch || proposal.Offset >= raft.HighWatermark) continue;
            if (_acknowledged.TryAdd(value, proposal.Offset))
            {
                Stats.Acknowledged++;
                if (_healed) Stats.AcknowledgedAfterHeal++;
            }
        }
    }

    private void MaybeSnapshot(SimulatedNode node)
    {
        var raft = node.Raft!;
        if (node.AppliedEnd - node.Log.StartOffset < _snapshotEvery || node.Applied.Count == 0) return;
        if (node.AppliedEnd > node.Log.FlushedEndOffset) return;
        var last = node.Applied[^1];
        raft.CreateSnapshot(new SnapshotId(node.AppliedEnd, last.Epoch), SimulatedNode.EncodeState(node.Applied));
        Stats.SnapshotsCreated++;
    }

    private void CheckConverged()
    {
        var leaders = _nodes.Where(n => n.Raft!.Role == RaftRole.Leader).ToArray();
        if (leaders.Length != 1)
            throw Violation($"{leaders.Length} leaders after {_options.HealPhaseMs} ms healed");
        var leader = leaders[0].Raft!;
        foreach (var node in _nodes)
        {
            var raft = node.Raft!;
            if (raft.Epoch != leader.Epoch || raft.HighWatermark != leader.HighWatermark || node.Log.EndOffset != leaders[0].Log.EndOffset)
                throw Violation($"node {node.Id} did not converge: {raft.Role} epoch {raft.Epoch} hw {raft.HighWatermark} end {node.Log.EndOffset}; leader {leaders[0].Id} epoch {leader.Epoch} hw {leader.HighWatermark} end {leaders[0].Log.EndOffset}");
            if (node.AppliedEnd != leader.HighWatermark)
                throw Violation($"node {node.Id} applied up to {node.AppliedEnd}, high watermark {leader.HighWatermark}");
            // Logs agree: every batch still in the log is the committed one.
            foreach (var batch in node.Log.Batches)
            {
                long value = batch.IsControl ? -1 : BinaryPrimitives.ReadInt64BigEndian(batch.Payload.Span);
                if (_committed.TryGetValue(batch.BaseOffset, out var known) && known != new AppliedBatch(batch.BaseOffset, batch.Epoch, value, batch.IsControl))
                    throw Violation($"node {node.Id} holds {batch.BaseOffset}@{batch.Epoch} value {value}; committed there is {known}");
            }
        }
        if (leader.HighWatermark != leaders[0].Log.EndOffset)
            throw Violation($"the leader's high watermark {leader.HighWatermark} is short of its log end {leaders[0].Log.EndOffset} after the writes stopped");
        foreach (var (value, offset) in _acknowledged)
        {
            if (!_committed.TryGetValue(offset, out var batch) || batch.Value != value)
                throw Violation($"acknowledged value {value} at {offset} is lost");
        }
        if (Stats.AcknowledgedAfterHeal == 0)
            throw Violation("no write was acknowledged after the faults healed");
        Stats.Committed = _committed.Count;
    }
}

/// <summary>What happened in one run, summed over runs for the record.</summary>
internal sealed class SimulationStats
{
    public long Delivered;
    public long Proposed;
    public long Acknowledged;
    public long AcknowledgedAfterHeal;
    public long Committed;
    public long Elections;
    public long Crashes;
    public long SnapshotsCreated;
    public long SnapshotsInstalled;

    public void Add(SimulationStats other)
    {
        Delivered += other.Delivered;
        Proposed += other.Proposed;
        Acknowledged += other.Acknowledged;
        AcknowledgedAfterHeal += other.AcknowledgedAfterHeal;
        Committed += other.Committed;
        Elections += other.Elections;
        Crashes += other.Crashes;
        SnapshotsCreated += other.SnapshotsCreated;
        SnapshotsInstalled += other.SnapshotsInstalled;
    }

    public override string ToString() =>
        $"{Proposed} proposed, {Acknowledged} acknowledged ({AcknowledgedAfterHeal} after healing), {Committed} batches committed, " +
        $"{Elections} leaders elected, {Crashes} crashes, {SnapshotsCreated} snapshots made, {SnapshotsInstalled} fetched, {Delivered} messages delivered";
}
