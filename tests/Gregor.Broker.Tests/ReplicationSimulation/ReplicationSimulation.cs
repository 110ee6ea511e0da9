using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Reflection;
using System.Text;
using Gregor.Broker.Configuration;
using Gregor.Broker.Handlers;
using Gregor.Broker.Replication;
using Gregor.Broker.Replication.Fetching;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using Gregor.Storage;
using BrokerIsrChange = Gregor.Broker.Replication.IsrChange;
using ControllerIsrChange = Gregor.Metadata.Controller.IsrChange;

namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// A deterministic simulation of one replicated partition (in the manner of the Raft simulation): brokers whose replicas
/// are the real <see cref="HostedPartition"/> and <see cref="PartitionLog"/> (leader appends, follower appends, epochs,
/// truncation, producer state, recovery after a crash), a real <see cref="QuorumController"/> deciding registrations,
/// fencing, elections and AlterPartition, and between them a simulated network and virtual clock. What the broker's
/// networked services do around the partition (the replica fetcher, the ISR manager, the produce and fetch handlers'
/// replica paths, the lifecycle manager) is replayed here step by step in their order, calling the same real functions
/// they call. Every fault — loss, delay, cut links, pauses past the session timeout, crashes that lose the page cache —
/// comes from one seed, so a failing seed replays exactly.
/// </summary>
internal sealed partial class ReplicationSimulation : IDisposable
{
    private const string Topic = "sim";
    private const int TickMs = 10;
    private const int TraceLines = 80;
    private const short ProduceVersion = 9;
    private const int FetchMaxBytes = 3000;
    private const long ProduceTimeoutMs = 1500;
    private const long ClientRequestTimeoutMs = 2000;
    private const long AlterTimeoutMs = 1000;
    private const long FetchTimeoutMs = 300;
    private const long FetchBackoffMs = 50;

    private static readonly MethodInfo AbandonLog = typeof(PartitionLog).GetMethod("Abandon", BindingFlags.Instance | BindingFlags.NonPublic)
        ?? throw new InvalidOperationException("PartitionLog.Abandon (the storage tests' crash) is gone");

    private readonly ReplicationSimulationOptions _options;
    private readonly Random _random;
    private readonly SimClock _clock = new();
    private readonly SimNetwork _network;
    private readonly MemoryJournal _journal = new();
    private readonly MetadataPublisher _publisher;
    private readonly QuorumController _controller;
    private readonly SimBroker[] _brokers;
    private readonly SimProducer[] _producers;
    private readonly string _root;
    private readonly TopicSettings _settings;
    private readonly PriorityQueue<SimEvent, (long Time, long Sequence)> _events = new();
    private readonly Queue<string> _trace = new();
    private readonly Dictionary<int, int> _leaderOfEpoch = [];
    private readonly SortedDictionary<long, CommittedBatch> _committed = [];
    private readonly Dictionary<long, long> _acknowledged = [];
    private readonly HashSet<long> _idempotentValues = [];
    private readonly Dictionary<long, int> _valueSentBy = [];
    private readonly Random _controllerRandom;
    private int[] _replicaIds = [];
    private KafkaUuid _topicId;
    private long _sequence;
    private long _nextRequestId = 1;
    private long _nextValue = 1;
    private long _nextProducerId = 1000;
    private long _lastPushed = -1;
    private bool _healed;
    private bool _producing = true;

    public ReplicationSimulationStats Stats { get; } = new();

    public ReplicationSimulation(ReplicationSimulationOptions options)
    {
        _options = options;
        _random = new Random(options.Seed);
        _network = new SimNetwork(_random, lossRate: _random.NextDouble() * 0.02, maxDelayMs: 1 + _random.Next(20));
        _controllerRandom = new Random(_random.Next());
        string shm = "/dev/shm";
        _root = Path.Combine(System.IO.Directory.Exists(shm) ? shm : Path.GetTempPath(), $"gregor-repl-sim-{options.Seed}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(_root);
        _brokers = [.. Enumerable.Range(1, options.Replicas).Select(id => new SimBroker(id, Path.Combine(_root, $"broker{id}")))];
        int producers = 1 + _random.Next(3);
        _producers = [.. Enumerable.Range(0, producers).Select(i => _random.Next(3) != 0
            ? new SimProducer(100 + i, idempotent: true, maxInFlight: 1 + _random.Next(5))
            : new SimProducer(100 + i, idempotent: false, maxInFlight: 1))];
        _publisher = new MetadataPublisher(MetadataImage.Empty("replication-sim", 1000));
        _controller = new QuorumController(_publisher, new ControllerSettings(1000)
        {
            BrokerSessionTimeout = TimeSpan.FromMilliseconds(options.SessionTimeoutMs),
            MinInsyncReplicas = options.MinInsyncReplicas,
            UncleanLeaderElectionEnable = options.UncleanElection,
            EligibleLeaderReplicas = !options.UncleanElection,
            UncleanRecoveryTimeout = TimeSpan.FromMilliseconds(options.UncleanRecoveryTimeoutMs),
        }, _clock, _controllerRandom);
        _controller.Activate(_journal, _publisher.Current);
        var config = BrokerConfigParser.Parse([]);
        _settings = TopicSettings.From(new Dictionary<string, string>
        {
            [TopicSettings.MinInsyncReplicasName] = options.MinInsyncReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Small segments, so rolls and truncations across segments happen.
            [LogConfig.InternalSegmentBytesName] = (2048 + _random.Next(8192)).ToString(System.Globalization.CultureInfo.InvariantCulture),
        }, config);
    }

    private abstract record SimEvent;
    private sealed record Deliver(SimMessage Message) : SimEvent;
    private sealed record BrokerTick(int Broker, int Incarnation) : SimEvent;
    private sealed record ControllerTick : SimEvent;
    private sealed record ProducerTick(int Producer) : SimEvent;
    private sealed record Fault : SimEvent;
    private sealed record Restart(int Broker) : SimEvent;
    private sealed record Resume(int Broker) : SimEvent;
    private sealed record Heal : SimEvent;
    private sealed record StopProducing : SimEvent;

    /// <summary>A batch the partition committed (below some leader's high watermark): every replica must hold it there, unchanged.</summary>
    private readonly record struct CommittedBatch(long BaseOffset, long LastOffset, int Epoch, uint Crc, long Value);

    public void Run()
    {
        try
        {
            Bootstrap();
            Schedule(_random.Next(800), new Fault());
            Schedule(50, new ControllerTick());
            for (int i = 0; i < _producers.Length; i++)
                Schedule(_random.Next(50), new ProducerTick(i));
            Schedule(_options.FaultPhaseMs, new Heal());
            long end = _options.FaultPhaseMs + _options.HealPhaseMs;
            Schedule(end - 3_000, new StopProducing());
            while (_events.TryDequeue(out var e, out var at))
            {
                if (at.Time > end) break;
                _clock.NowMs = at.Time;
                Handle(e);
            }
            Stats.VirtualMs = end;
            CheckConverged();
        }
        catch (ReplicationInvariantException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw Violation($"the simulation threw: {e}");
        }
    }

    public void Dispose()
    {
        foreach (SimBroker broker in _brokers)
        {
            if (broker.Partition is { } partition)
            {
                try { partition.Log.Close(); } catch (Exception e) when (e is IOException or LogClosedException) { }
                broker.Partition = null;
            }
        }
        _controller.Dispose();
        try { System.IO.Directory.Delete(_root, recursive: true); } catch (IOException) { }
    }

    private long Now => _clock.NowMs;

    private void Schedule(long delay, SimEvent e) => _events.Enqueue(e, (Now + delay, _sequence++));

    private readonly HashSet<long> _brokenConnections = [];

    private void Send(SimMessage message)
    {
        long connection = message switch { Produce p => p.Connection, ProduceAnswer a => a.Connection, _ => -1 };
        if (connection >= 0 && _brokenConnections.Contains(connection)) return;
        if (_network.Schedule(Now, message.From, message.To) is long at)
            _events.Enqueue(new Deliver(message), (at, _sequence++));
        else if (connection >= 0)
            _brokenConnections.Add(connection);
    }

    private void Trace(string line)
    {
        if (_options.Verbose) Console.WriteLine($"[{Now}] {line}");
        _trace.Enqueue($"[{Now}] {line}");
        if (_trace.Count > TraceLines) _trace.Dequeue();
    }

    private ReplicationInvariantException Violation(string message)
    {
        var text = new StringBuilder();
        text.AppendLine($"seed {_options.Seed} ({_options.Replicas} replicas) at {Now} ms: {message}");
        text.AppendLine($"replay: GREGOR_REPLICATION_SEED={_options.Seed} dotnet test tests/Gregor.Broker.Tests --filter ReplaysOneReplicationSeed");
        text.AppendLine("last events:");
        foreach (string line in _trace) text.AppendLine("  " + line);
        PartitionImage? p = _publisher.Current.Topic(Topic)?.Partitions[0];
        if (p is not null)
            text.AppendLine($"  controller: leader {p.Leader} epoch {p.LeaderEpoch} partition epoch {p.PartitionEpoch} isr [{string.Join(",", p.Isr)}] elr [{string.Join(",", p.Elr)}] last known elr [{string.Join(",", p.LastKnownElr)}]");
        foreach (SimBroker b in _brokers)
        {
            string registration = _publisher.Current.Brokers.TryGetValue(b.Id, out var r) ? $"registered at epoch {r.Epoch}{(r.Fenced ? ", fenced" : "")}" : "not registered";
            text.AppendLine($"  broker {b.Id}: {Describe(b)}; controller: {registration}; image applied {b.Image?.Offset ?? -1} of {_publisher.Current.Offset}");
        }
        return new ReplicationInvariantException(text.ToString());
    }

    private static string Describe(SimBroker b)
    {
        if (b.Partition is not { } hp) return "down";
        string role = hp.IsLeader ? $"leader at epoch {hp.LeaderEpochIfLeader}" : b.Following is { } f ? $"follows {f.Leader} at epoch {f.LeaderEpoch}" : "idle";
        return $"{role}, log [{hp.Log.LogStartOffset},{hp.Log.LogEndOffset}) hw {hp.Log.HighWatermark} latest epoch {hp.Log.LatestEpoch}, broker epoch {b.BrokerEpoch}{(b.Paused ? ", paused" : "")}";
    }

    private static T Done<T>(Task<T> task) =>
        task.IsCompleted ? task.GetAwaiter().GetResult() : throw new InvalidOperationException("a controller operation did not complete synchronously");

    private SimBroker Broker(int id) => _brokers[id - 1];
}
