using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Replication;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gregor.Broker.Tests.Replication;

/// <summary>
/// An ISR expansion whose AlterPartition gets no answer (found by the replication simulation, seed 1000666): the
/// controller may have committed it and may elect the new member, so the leader must keep counting that member in its
/// high watermark rather than drop the change when the request fails.
/// </summary>
public sealed class IsrManagerUnansweredTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gregor-isr-unanswered-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task An_expansion_the_controller_never_answered_keeps_its_member_holding_the_high_watermark_back()
    {
        // The only voter's port is closed: every AlterPartition fails without an answer.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int closedPort = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        BrokerConfig config = BrokerConfigParser.Parse(new[]
        {
            "node.id=1", "process.roles=broker", $"controller.quorum.voters=9@127.0.0.1:{closedPort}",
            "controller.listener.names=CONTROLLER", "listeners=PLAINTEXT://127.0.0.1:0", "log.dirs=" + _directory,
        }.Select(BrokerConfigParser.ParseOverride));
        var topic = new TopicImage("t", KafkaUuid.NewRandom(Random.Shared), [new PartitionImage(0, 1, 0, 0, [1, 2], [1])],
            ImmutableDictionary<string, string>.Empty);
        var metadata = new MetadataPublisher(new MetadataImage(1, "c", 9,
            ImmutableDictionary<int, BrokerRegistration>.Empty.Add(1, new BrokerRegistration(1, "127.0.0.1", 9092, null)).Add(2, new BrokerRegistration(2, "127.0.0.1", 9093, null)),
            ImmutableDictionary<string, TopicImage>.Empty.Add("t", topic), ImmutableDictionary<KafkaUuid, TopicImage>.Empty.Add(topic.Id, topic),
            ImmutableDictionary<string, string>.Empty));
        var log = new WarningLog();
        await using var replicas = new ReplicaManagerScope(new ReplicaManager(config, metadata, TimeProvider.System, NullLogger<ReplicaManager>.Instance));
        replicas.Manager.Start();
        await using var channel = new ControllerChannel(new NoLeader(), config, TimeProvider.System);
        await using var isr = new IsrManager(replicas.Manager, channel, config, () => 5, log);
        await isr.StartAsync(CancellationToken.None);
        HostedPartition partition = replicas.Manager.GetPartition("t", 0)!;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // Alone in the ISR the leader commits offset 0; replica 2 fetches it and catches up: an expansion is asked.
        Assert.Equal(ErrorCode.None, partition.AppendAsLeader(Batch(now), 9, now).Error);
        Assert.Equal(1, partition.Log.HighWatermark);
        Assert.Equal(ErrorCode.None, partition.RecordFollowerFetch(2, 1, now));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (log.Warnings.IsEmpty)
        {
            Assert.True(DateTime.UtcNow < deadline, "the AlterPartition never failed");
            await Task.Delay(20);
        }

        // Replica 2 fetches nothing more: the controller may list it in the ISR, so what the leader appends is not committed.
        await Task.Delay(300); // a few of the ISR manager's retries
        Assert.Equal(ErrorCode.None, partition.AppendAsLeader(Batch(now), 9, now).Error);
        Assert.Equal(ErrorCode.None, partition.AppendAsLeader(Batch(now), 9, now).Error);
        Assert.Equal(3, partition.Log.LogEndOffset);
        Assert.Equal(1, partition.Log.HighWatermark);
    }

    private static Span<byte> Batch(long timestamp)
    {
        using var builder = new RecordBatchBuilder();
        builder.Append(timestamp, NullableBytes.Null, new byte[] { 1, 2, 3 });
        return builder.Build().ToArray();
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private sealed class NoLeader : IQuorumLeader
    {
        public Task<int> LeaderIdAsync() => Task.FromResult(-1);
    }

    private sealed class ReplicaManagerScope(ReplicaManager manager) : IAsyncDisposable
    {
        public ReplicaManager Manager { get; } = manager;

        public async ValueTask DisposeAsync() => await Manager.StopAsync();
    }

    private sealed class WarningLog : ILogger<IsrManager>
    {
        public ConcurrentQueue<string> Warnings { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel >= LogLevel.Warning) Warnings.Enqueue(formatter(state, exception));
        }
    }
}
