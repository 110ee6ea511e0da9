using Gregor.Metadata.Controller;

namespace Gregor.Metadata.Tests;

/// <summary>A single-node controller over a metadata log in a fresh temporary directory, with a seeded Random.</summary>
internal sealed class ControllerFixture : IDisposable
{
    private readonly IReplicaCapacity? _capacity;
    private readonly MetadataSnapshotPolicy? _snapshots;
    private readonly TimeProvider _time;
    private readonly Func<ControllerSettings, ControllerSettings> _settings;
    private MetadataLog? _log;

    public ControllerFixture(string? directory = null, int nodeId = 1, int seed = 42, IReplicaCapacity? capacity = null,
        MetadataSnapshotPolicy? snapshots = null, TimeProvider? time = null, Func<ControllerSettings, ControllerSettings>? settings = null)
    {
        _settings = settings ?? (s => s);
        Directory = directory ?? Path.Combine(Path.GetTempPath(), "gregor-meta-" + Guid.NewGuid().ToString("N"));
        NodeId = nodeId;
        _capacity = capacity;
        _snapshots = snapshots;
        _time = time ?? TimeProvider.System;
        Open(seed);
    }

    public string Directory { get; }

    public int NodeId { get; }

    public MetadataPublisher Publisher { get; private set; } = null!;

    public QuorumController Controller { get; private set; } = null!;

    public MetadataImage Image => Publisher.Current;

    /// <summary>The open metadata log.</summary>
    public MetadataLog Log => _log ?? throw new InvalidOperationException("the fixture is closed");

    public string LogDirectory => Path.Combine(Directory, MetadataLog.DirectoryName);

    public void Open(int seed = 42)
    {
        var (log, image) = MetadataBootstrap.Open([Directory], NodeId, new Random(seed), _time, _snapshots);
        _log = log;
        Publisher = new MetadataPublisher(MetadataImage.Empty(image.ClusterId, NodeId));
        Controller = new QuorumController(Publisher, _settings(new ControllerSettings(NodeId) { NumPartitions = 3 }), _time, new Random(seed), _capacity);
        Controller.Activate(log, image);
        Controller.RegisterBrokerAsync(NodeId, [new BrokerEndpointInfo("PLAINTEXT", "localhost", 9092, 0)], null).GetAwaiter().GetResult();
    }

    public void Close()
    {
        Controller.Deactivate();
        Controller.Dispose();
        _log?.Dispose();
        _log = null;
    }

    public void Reopen()
    {
        Close();
        Open();
    }

    public string SegmentFile => System.IO.Directory.GetFiles(Path.Combine(Directory, MetadataLog.DirectoryName), "*.log").Single();

    public async Task<CreateTopicOutcome> CreateAsync(string name, int partitions = 1, short replicationFactor = 1,
        params (string Key, string? Value)[] configs)
    {
        var result = await Controller.CreateTopicsAsync(
            [new NewTopic(name, partitions, replicationFactor, [], configs.Select(c => new KeyValuePair<string, string?>(c.Key, c.Value)).ToList())],
            validateOnly: false);
        return result.Single();
    }

    public void Dispose()
    {
        Close();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
