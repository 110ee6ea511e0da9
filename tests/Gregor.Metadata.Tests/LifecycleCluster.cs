using Gregor.Metadata.Controller;
using Gregor.Metadata.Records;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

/// <summary>
/// A controller (node 1, registered in-process as today) on a hand-moved clock, with helpers that play the other
/// brokers' side of the lifecycle: register, heartbeat, and partitions placed by hand through records.
/// </summary>
internal sealed class LifecycleCluster : IDisposable
{
    private readonly Random _incarnations = new(7);

    public LifecycleCluster(Func<ControllerSettings, ControllerSettings>? settings = null) => F = new ControllerFixture(time: Clock, settings: settings);

    public ManualTimeProvider Clock { get; } = new();

    public ControllerFixture F { get; }

    public QuorumController Controller => F.Controller;

    public MetadataImage Image => F.Image;

    /// <summary>The current epoch of each broker registered through <see cref="RegisterAsync"/>.</summary>
    public Dictionary<int, long> Epochs { get; } = [];

    public Dictionary<int, KafkaUuid> Incarnations { get; } = [];

    public static BrokerEndpointInfo[] Endpoint(int id) => [new BrokerEndpointInfo("PLAINTEXT", $"broker{id}", 9092, 0)];

    /// <summary>Registers a new incarnation of <paramref name="id"/>; asserts it succeeds. <paramref name="previousEpoch"/>: the epoch of its last clean stop.</summary>
    public async Task<long> RegisterAsync(int id, string? rack = null, long previousEpoch = -1)
    {
        var incarnation = KafkaUuid.NewRandom(_incarnations);
        var outcome = await Controller.RegisterBrokerAsync(new BrokerRegistrationRequest(id, Image.ClusterId, incarnation, Endpoint(id), rack) { PreviousBrokerEpoch = previousEpoch });
        Assert.Equal(ErrorCode.None, outcome.Error);
        Epochs[id] = outcome.BrokerEpoch;
        Incarnations[id] = incarnation;
        return outcome.BrokerEpoch;
    }

    /// <summary>A heartbeat from <paramref name="id"/> that has applied everything the controller published.</summary>
    public Task<BrokerHeartbeatOutcome> HeartbeatAsync(int id, bool wantFence = false, bool wantShutDown = false, long? offset = null) =>
        Controller.BrokerHeartbeatAsync(new BrokerHeartbeat(id, Epochs[id], offset ?? Image.Offset, wantFence, wantShutDown));

    /// <summary>Registers <paramref name="id"/> and heartbeats it caught up, so it is unfenced.</summary>
    public async Task AddBrokerAsync(int id, string? rack = null)
    {
        await RegisterAsync(id, rack);
        var outcome = await HeartbeatAsync(id);
        Assert.False(outcome.IsFenced);
    }

    /// <summary>A topic whose partitions have the given replicas (ISR = replicas, the first leads), written as records.</summary>
    public async Task<KafkaUuid> CreatePlacedAsync(string name, params int[][] replicas)
    {
        var id = KafkaUuid.NewRandom(_incarnations);
        var records = new List<IMetadataRecord> { new TopicRecord { Name = name, TopicId = id } };
        for (int p = 0; p < replicas.Length; p++)
            records.Add(new PartitionRecord { TopicId = id, PartitionId = p, Replicas = [.. replicas[p]], Isr = [.. replicas[p]], Leader = replicas[p][0] });
        await Controller.CommitRecordsAsync(records);
        return id;
    }

    public PartitionImage Partition(string topic, int partition) => Image.Topic(topic)!.Partitions[partition];

    public BrokerRegistration Broker(int id) => Image.Brokers[id];

    /// <summary>Moves the clock, heartbeating <paramref name="alive"/> on the way so only the others' sessions age.</summary>
    public async Task PassAsync(TimeSpan time, params int[] alive)
    {
        var step = TimeSpan.FromSeconds(1);
        for (var passed = TimeSpan.Zero; passed < time; passed += step)
        {
            Clock.Advance(step);
            foreach (int id in alive)
                await HeartbeatAsync(id);
        }
    }

    public void Dispose() => F.Dispose();
}
