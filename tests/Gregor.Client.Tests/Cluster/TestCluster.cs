using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Gregor.Broker;
using Gregor.Broker.Configuration;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using WireError = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Cluster;

/// <summary>
/// A multi-node cluster in this process: every node a <see cref="BrokerHost"/> started from its own config on
/// 127.0.0.1, with a data dir formatted for one cluster id (as <c>gregor storage format</c> does) under one temp root.
/// Nodes are numbered from 1 in the order of their roles; the controller-role nodes are the static voters. Ports are
/// picked free before the first start (the voters' ports are in every config) and picked again if one was taken
/// meanwhile. Each node's log is kept in memory, and a wait that fails shows the end of every node's log.
/// </summary>
internal sealed class TestCluster : IAsyncDisposable
{
    /// <summary>How long any wait may take: generous, as the machine is shared; nothing asserts how fast.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(45);

    private readonly string _root = Path.Combine(Path.GetTempPath(), "gregor-cluster-tests-" + Guid.NewGuid().ToString("N"));
    private readonly string[] _settings;
    private readonly NodeLog _log = new();

    private TestCluster(string[] roles, string[] settings)
    {
        _settings = settings;
        ClusterId = KafkaUuid.NewRandom(Random.Shared).ToString();
        Nodes = [.. roles.Select((role, index) => new ClusterNode(this, index + 1, role, Path.Combine(_root, "node-" + (index + 1))))];
        PickPorts();
    }

    public string ClusterId { get; }

    public IReadOnlyList<ClusterNode> Nodes { get; }

    public ClusterNode Node(int id) => Nodes[id - 1];

    public IEnumerable<ClusterNode> Brokers => Nodes.Where(n => n.IsBroker);

    public IEnumerable<ClusterNode> Voters => Nodes.Where(n => n.IsController);

    /// <summary>The nodes, configured but not started: ports are chosen, so a test may put a proxy in between first.</summary>
    /// <param name="roles">Each node's <c>process.roles</c>: <c>controller</c>, <c>broker</c> or <c>broker,controller</c>.</param>
    /// <param name="settings">Settings for every node, after the cluster's own.</param>
    public static TestCluster Create(string[] roles, params string[] settings) => new(roles, settings);

    /// <summary>Creates the cluster and starts every node.</summary>
    public static async Task<TestCluster> StartAsync(string[] roles, params string[] settings)
    {
        var cluster = Create(roles, settings);
        try
        {
            await cluster.StartAllAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Formats every data dir, then starts the nodes in order; a port taken meanwhile means new ports for all and another go.</summary>
    public async Task StartAllAsync()
    {
        foreach (var node in Nodes)
        {
            Directory.CreateDirectory(node.DataDir);
            StorageFormatter.Format([node.DataDir], ClusterId, node.Id, ignoreFormatted: false, Random.Shared);
        }
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                foreach (var node in Nodes) await node.StartOnceAsync();
                return;
            }
            catch (IOException e) when (attempt < 4 && IsAddressInUse(e))
            {
                _log.Add(0, LogLevel.Warning, "test", $"a port was taken ({e.Message}); new ports for every node");
                foreach (var node in Nodes) await node.StopAsync(TimeSpan.FromSeconds(3));
                PickPorts();
            }
        }
    }

    private static bool IsAddressInUse(Exception e) =>
        e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase) || e.InnerException is SocketException;

    private void PickPorts()
    {
        // Held open together so that they differ, then closed for the nodes to bind.
        var probes = new List<TcpListener>();
        try
        {
            foreach (var node in Nodes)
            {
                node.ClientPort = node.IsBroker ? Probe(probes) : 0;
                node.ControllerPort = node.IsController ? Probe(probes) : 0;
            }
        }
        finally
        {
            foreach (var probe in probes) probe.Stop();
        }
    }

    private static int Probe(List<TcpListener> probes)
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        probes.Add(probe);
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    internal BrokerConfig ConfigFor(ClusterNode node)
    {
        var listeners = new List<string>();
        if (node.IsBroker) listeners.Add($"PLAINTEXT://127.0.0.1:{node.ClientPort}");
        if (node.IsController) listeners.Add($"CONTROLLER://127.0.0.1:{node.ControllerPort}");
        var voters = string.Join(",", Voters.Select(v => $"{v.Id}@127.0.0.1:{node.VoterPortOverrides.GetValueOrDefault(v.Id, v.ControllerPort)}"));
        var lines = new List<string>
        {
            "node.id=" + node.Id,
            "process.roles=" + node.Roles,
            "controller.quorum.voters=" + voters,
            "controller.listener.names=CONTROLLER",
            "listeners=" + string.Join(",", listeners),
            "log.dirs=" + node.DataDir,
            // Short sessions keep the tests quick; every wait on them is bounded generously all the same.
            "broker.session.timeout.ms=2000",
            "broker.heartbeat.interval.ms=250",
            "auto.create.topics.enable=false",
        };
        lines.AddRange(_settings);
        lines.AddRange(node.Settings);
        return BrokerConfigParser.Parse(lines.Select(BrokerConfigParser.ParseOverride));
    }

    internal void ConfigureServices(ClusterNode node, IServiceCollection services) =>
        services.AddLogging(logging => logging.ClearProviders().AddProvider(new NodeLogProvider(_log, node.Id)));

    /// <summary>The end of every node's log, for a failure message.</summary>
    public string LogTail(int lines = 60) => _log.Tail(lines);

    /// <summary>Lines logged by a node so far that contain <paramref name="text"/>.</summary>
    public IReadOnlyList<string> LogLines(int nodeId, string text) => _log.Lines(nodeId, text);

    /// <summary>Polls <paramref name="condition"/> until it holds; a failure names what was awaited, the last state seen and the end of the logs.</summary>
    public async Task EventuallyAsync(Func<Task<bool>> condition, string what, Func<string>? state = null, TimeSpan? patience = null)
    {
        var deadline = DateTime.UtcNow + (patience ?? Patience);
        Exception? last = null;
        while (true)
        {
            try
            {
                if (await condition()) return;
                last = null;
            }
            catch (Exception e) when (e is IOException or TimeoutException or SocketException or KafkaException or OperationCanceledException)
            {
                last = e;
            }
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"not within {(patience ?? Patience).TotalSeconds} s: {what}"
                    + (state is null ? "" : "; last seen: " + state())
                    + (last is null ? "" : "; last error: " + last.Message)
                    + "\n--- the nodes' logs (tail) ---\n" + LogTail());
            }
            await Task.Delay(50);
        }
    }

    public Task EventuallyAsync(Func<bool> condition, string what, Func<string>? state = null, TimeSpan? patience = null) =>
        EventuallyAsync(() => Task.FromResult(condition()), what, state, patience);

    // --- requests to one chosen node, as a client's own routing would hide which node answered ------------------

    public static async Task<TResponse> SendAsync<TRequest, TResponse>(ClusterNode node, TRequest request, short atMost)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : IProtocolMessage<TResponse>
    {
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await using var connection = await BrokerConnection.ConnectAsync(BrokerEndpoint.Parse(node.Bootstrap),
            new ConnectionSettings { ClientId = "cluster-tests" }, cancel.Token);
        short version = connection.Versions.Highest((ApiKey)TRequest.Descriptor.ApiKey, atMost);
        return await connection.SendAsync<TRequest, TResponse>(request, version, TimeSpan.FromSeconds(15), cancel.Token);
    }

    /// <summary>The node's answer to Metadata for every topic.</summary>
    public static Task<MetadataResponse> MetadataAsync(ClusterNode node) =>
        SendAsync<MetadataRequest, MetadataResponse>(node, new MetadataRequest { Topics = null, AllowAutoTopicCreation = false }, 12);

    /// <summary>The brokers the node lists in its Metadata answer.</summary>
    public static async Task<int[]> ListedBrokersAsync(ClusterNode node) =>
        [.. (await MetadataAsync(node)).Brokers.Select(b => b.NodeId).Order()];

    /// <summary>Each partition's leader of <paramref name="topic"/> in the node's Metadata answer, or null when it does not list the topic.</summary>
    public static async Task<int[]?> LeadersAsync(ClusterNode node, string topic)
    {
        var described = (await MetadataAsync(node)).Topics.SingleOrDefault(t => t.Name == topic);
        return described is null ? null : [.. described.Partitions.OrderBy(p => p.PartitionIndex).Select(p => p.LeaderId)];
    }

    public static async Task<CreateTopicsResponse.CreatableTopicResult> CreateTopicAsync(ClusterNode node, string topic, int partitions, short replicationFactor = 1)
    {
        var request = new CreateTopicsRequest { TimeoutMs = 30_000 };
        request.Topics.Add(new CreateTopicsRequest.CreatableTopic { Name = topic, NumPartitions = partitions, ReplicationFactor = replicationFactor });
        var response = await SendAsync<CreateTopicsRequest, CreateTopicsResponse>(node, request, 7);
        return response.Topics.Single();
    }

    /// <summary>Produces one batch of <paramref name="values"/> straight to the node and returns its answer's error code.</summary>
    public static async Task<WireError> ProduceAsync(ClusterNode node, string topic, int partition, params string[] values)
    {
        byte[] records;
        using (var builder = new RecordBatchBuilder())
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            foreach (var value in values) builder.Append(now, null, System.Text.Encoding.UTF8.GetBytes(value));
            records = builder.Build().ToArray();
        }
        var request = new ProduceRequest
        {
            Acks = -1,
            TimeoutMs = 15_000,
            TopicData = [new ProduceRequest.TopicProduceData { Name = topic, PartitionData = [new ProduceRequest.PartitionProduceData { Index = partition, Records = records }] }],
        };
        var response = await SendAsync<ProduceRequest, ProduceResponse>(node, request, 9);
        return (WireError)response.Responses.Single().PartitionResponses.Single().ErrorCode;
    }

    /// <summary>
    /// Stops the broker-only nodes, then the others, each group at once and each node given a few seconds: the last
    /// nodes of a quorum can no longer reach a controller, and waiting out their controlled shutdowns would only make
    /// the tests slow.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await StopAllAsync(Nodes.Where(n => !n.IsController));
        await StopAllAsync(Nodes.Where(n => n.IsController));
        try { Directory.Delete(_root, recursive: true); } catch (IOException) { } // best effort: the OS cleans /tmp
        // Every node's whole log, for looking into a run by hand.
        if (Environment.GetEnvironmentVariable("GREGOR_CLUSTER_TEST_LOG") is { Length: > 0 } path)
            await File.AppendAllTextAsync(path, $"=== cluster {ClusterId}\n{_log.Tail(int.MaxValue)}\n");
    }

    private Task StopAllAsync(IEnumerable<ClusterNode> nodes) => Task.WhenAll(nodes.Select(async node =>
    {
        try
        {
            await node.StopAsync(TimeSpan.FromSeconds(3));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _log.Add(node.Id, LogLevel.Error, "test", "stopping failed: " + e.Message);
        }
    }));

    private sealed class NodeLog
    {
        private const int Kept = 4000;
        private readonly ConcurrentQueue<(int Node, string Line)> _lines = new();

        public void Add(int node, LogLevel level, string category, string message)
        {
            string shortCategory = category[(category.LastIndexOf('.') + 1)..];
            _lines.Enqueue((node, $"{DateTime.UtcNow.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture)} n{node} {level.ToString()[..4]} {shortCategory}: {message}"));
            while (_lines.Count > Kept) _lines.TryDequeue(out _);
        }

        public string Tail(int count) => string.Join("\n", _lines.ToArray().TakeLast(count).Select(l => l.Line));

        public IReadOnlyList<string> Lines(int node, string text) =>
            [.. _lines.ToArray().Where(l => l.Node == node && l.Line.Contains(text, StringComparison.Ordinal)).Select(l => l.Line)];
    }

    private sealed class NodeLogProvider(NodeLog log, int node) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new NodeLogger(log, node, categoryName);

        public void Dispose()
        {
        }
    }

    private sealed class NodeLogger(NodeLog log, int node, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            log.Add(node, logLevel, category, formatter(state, exception) + (exception is null ? "" : " | " + exception.GetType().Name + ": " + exception.Message));
        }
    }
}

/// <summary>One node of a <see cref="TestCluster"/>: its roles, ports and data dir, and the host while it runs.</summary>
internal sealed class ClusterNode(TestCluster cluster, int id, string roles, string dataDir)
{
    public int Id { get; } = id;

    public string Roles { get; } = roles;

    public string DataDir { get; } = dataDir;

    public bool IsBroker => Roles.Contains("broker", StringComparison.Ordinal);

    public bool IsController => Roles.Contains("controller", StringComparison.Ordinal);

    public int ClientPort { get; internal set; }

    public int ControllerPort { get; internal set; }

    /// <summary>Where this node reaches a voter instead of the voter's own port (a proxy in between).</summary>
    public Dictionary<int, int> VoterPortOverrides { get; } = [];

    /// <summary>Settings of this node alone, after the cluster's.</summary>
    public List<string> Settings { get; } = [];

    public BrokerHost? Host { get; private set; }

    public bool IsRunning => Host is not null;

    public string Bootstrap => "127.0.0.1:" + ClientPort;

    public BrokerHost RunningHost => Host ?? throw new InvalidOperationException($"node {Id} is not running");

    /// <summary>The image this node has published (what it serves from).</summary>
    public MetadataImage Image => RunningHost.Services.GetRequiredService<IMetadataView>().Current;

    /// <summary>Whether this node's controller is the active one.</summary>
    public bool IsActiveController => IsController && RunningHost.Services.GetRequiredService<QuorumController>().IsActive;

    /// <summary>Builds the host without starting it, for a test to look at its services first; <see cref="StartBuiltAsync"/> starts it.</summary>
    public BrokerHost Build()
    {
        if (Host is not null) throw new InvalidOperationException($"node {Id} is already running");
        Host = BrokerHost.Create(cluster.ConfigFor(this), services => cluster.ConfigureServices(this, services));
        return Host;
    }

    public async Task StartBuiltAsync()
    {
        try
        {
            await RunningHost.StartAsync();
        }
        catch
        {
            await RunningHost.DisposeAsync();
            Host = null;
            throw;
        }
    }

    internal async Task StartOnceAsync()
    {
        Build();
        await StartBuiltAsync();
    }

    /// <summary>Starts the node again over its data dir and on its ports (after <see cref="StopAsync"/>), retrying while a port lingers.</summary>
    public async Task RestartAsync(Action<BrokerHost>? beforeStart = null)
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                var host = Build();
                beforeStart?.Invoke(host);
                await StartBuiltAsync();
                return;
            }
            catch (IOException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>
    /// Stops the node as SIGTERM would (a broker's controlled shutdown included) and disposes its host; after
    /// <paramref name="patience"/> (a minute unless told) the stop goes on without waiting for anything.
    /// </summary>
    public async Task StopAsync(TimeSpan? patience = null)
    {
        if (Host is not { } host) return;
        Host = null;
        try
        {
            using var timeout = new CancellationTokenSource(patience ?? TimeSpan.FromMinutes(1));
            await host.StopAsync(timeout.Token);
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    public override string ToString() => $"node {Id} ({Roles})";
}
