using System.Collections.Concurrent;
using Gregor.Broker.Configuration;
using Gregor.Broker.Handlers;
using Gregor.Broker.Handlers.Brokers;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using BrokerRegistrationRequest = Gregor.Protocol.Messages.BrokerRegistrationRequest;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gregor.Broker.ControlPlane.Tests;

/// <summary>
/// A controller-only node (<see cref="ControllerQuorumHost"/>) as the only voter of its quorum, on the real clock: it
/// elects itself, runs the controller, and fences brokers whose sessions expire. Waits are bounded generously and
/// assert only what happens, never how fast.
/// </summary>
public sealed class ControllerQuorumHostTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gregor-cq-" + Guid.NewGuid().ToString("N"));
    private readonly ListLogger _log = new();
    private BrokerConfig _config = null!;
    private MetadataPublisher _publisher = null!;
    private QuorumController _controller = null!;
    private ReplicatedQuorumStatus _status = null!;
    private ControllerQuorumHost _host = null!;
    private bool _stopped;

    public async Task InitializeAsync()
    {
        var random = new Random(3);
        StorageFormatter.Format([_dir], KafkaUuid.NewRandom(random).ToString(), 1, ignoreFormatted: false, random);
        _config = new BrokerConfig
        {
            NodeId = 1,
            LogDirs = [_dir],
            Listeners = [new ListenerEndpoint("CONTROLLER", "127.0.0.1", 19093)],
            Quorum = new QuorumSettings
            {
                Roles = ProcessRoles.Controller,
                Voters = [new QuorumVoter(1, "127.0.0.1", 19093)],
                ControllerListenerNames = ["CONTROLLER"],
            },
            BrokerLifecycle = new BrokerLifecycleSettings { SessionTimeoutMs = 1000, HeartbeatIntervalMs = 100 },
        };
        _publisher = new MetadataPublisher(MetadataImage.Empty("", 1));
        _controller = new QuorumController(_publisher,
            new ControllerSettings(1) { BrokerSessionTimeout = TimeSpan.FromMilliseconds(_config.BrokerLifecycle.SessionTimeoutMs) },
            TimeProvider.System, new Random(11));
        _status = new ReplicatedQuorumStatus();
        var lifetime = new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance);
        _host = new ControllerQuorumHost(_controller, _publisher, new RaftEndpointSlot(), _status, _config, TimeProvider.System,
            new MetadataFailureStop(lifetime, NullLogger<MetadataFailureStop>.Instance), _log);
        await _host.StartAsync(CancellationToken.None);
        await EventuallyAsync(() => _controller.IsActive, "the only voter becomes the active controller");
    }

    public async Task DisposeAsync()
    {
        if (!_stopped) await _host.StopAsync(CancellationToken.None);
        _controller.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private static async Task EventuallyAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"not within {Patience.TotalSeconds} s: {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task The_active_controller_fences_a_broker_that_stops_heartbeating_and_says_so()
    {
        var registered = await BrokerFixture.Call<BrokerRegistrationRequest, BrokerRegistrationResponse>(new BrokerRegistrationHandler(_controller),
            new BrokerRegistrationRequest
            {
                BrokerId = 2,
                ClusterId = _publisher.Current.ClusterId,
                IncarnationId = KafkaUuid.NewRandom(new Random(4)),
                Listeners = [new BrokerRegistrationRequest.Listener { Name = "PLAINTEXT", Host = "broker2", Port = 9092 }],
            }, 4);
        Assert.Equal(0, registered.ErrorCode);
        var heartbeat = await BrokerFixture.Call<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(new BrokerHeartbeatHandler(_controller),
            new BrokerHeartbeatRequest { BrokerId = 2, BrokerEpoch = registered.BrokerEpoch, CurrentMetadataOffset = _publisher.Current.Offset }, 1);
        Assert.Equal((0, false), (heartbeat.ErrorCode, heartbeat.IsFenced));

        // No more heartbeats: nobody but the host's periodic check fences it.
        await EventuallyAsync(() => _publisher.Current.Brokers[2].Fenced, "broker 2 is fenced once its session expired");
        await EventuallyAsync(() => _log.Entries.Any(e => e.Level == LogLevel.Warning && e.Message.Contains("Fenced broker(s) 2:", StringComparison.Ordinal)),
            "the fencing is logged with the broker's id");

        await _host.StopAsync(CancellationToken.None);
        _stopped = true;
        Assert.False(_controller.IsActive);
        Assert.DoesNotContain(_log.Entries, e => e.Level >= LogLevel.Error);
    }

    [Fact]
    public async Task DescribeCluster_names_the_quorum_leader_as_controller()
    {
        var handler = new ControllerDescribeClusterHandler(_publisher, _status, _config);
        var response = await BrokerFixture.Call<DescribeClusterRequest, DescribeClusterResponse>(handler, new DescribeClusterRequest { EndpointType = 2 }, 1);
        Assert.Equal((0, 1, _publisher.Current.ClusterId), (response.ErrorCode, response.ControllerId, response.ClusterId));
        var controller = Assert.Single(response.Brokers);
        Assert.Equal((1, "127.0.0.1", 19093), (controller.BrokerId, controller.Host, controller.Port));
    }

    [Theory]
    [InlineData(2000, 1000)]
    [InlineData(300, 300)]
    public void Sessions_are_checked_every_second_or_every_heartbeat_interval_if_shorter(int heartbeatIntervalMs, int periodMs) =>
        Assert.Equal(TimeSpan.FromMilliseconds(periodMs),
            BrokerSessionExpiry.PeriodFor(new BrokerLifecycleSettings { HeartbeatIntervalMs = heartbeatIntervalMs, SessionTimeoutMs = 9000 }));

    private sealed class ListLogger : ILogger<ControllerQuorumHost>
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
