using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers.Brokers;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using BrokerRegistrationRequest = Gregor.Protocol.Messages.BrokerRegistrationRequest;

namespace Gregor.Broker.ControlPlane.Tests;

/// <summary>
/// BrokerRegistration, BrokerHeartbeat and UnregisterBroker as a broker sends them to the active controller (here the
/// single node's own, which registered itself as broker 1), at every version advertised, read back off the wire.
/// </summary>
public sealed class BrokerLifecycleHandlerTests : IDisposable
{
    private readonly BrokerFixture _f = new();
    private readonly Random _random = new(5);

    public void Dispose() => _f.Dispose();

    private MetadataImage Image => _f.Publisher.Current;

    /// <summary>The handler's answer as the broker reads it: encoded and decoded in the version asked.</summary>
    private static async Task<TResponse> CallAsync<TRequest, TResponse>(IApiHandler handler, TRequest request, short version)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : class, IProtocolMessage<TResponse>
    {
        var response = await BrokerFixture.Call<TRequest, TResponse>(handler, request, version);
        byte[] encoded = new byte[response.Size(version)];
        var writer = new ProtocolWriter(encoded);
        response.Write(ref writer, version);
        var reader = new ProtocolReader(encoded);
        return TResponse.Read(ref reader, version);
    }

    private BrokerRegistrationRequest Registration(int id, string? clusterId = null, string? rack = "rack-a") => new()
    {
        BrokerId = id,
        ClusterId = clusterId ?? Image.ClusterId,
        IncarnationId = KafkaUuid.NewRandom(_random),
        Listeners =
        [
            new BrokerRegistrationRequest.Listener { Name = "PLAINTEXT", Host = $"broker{id}", Port = 9092, SecurityProtocol = 0 },
            new BrokerRegistrationRequest.Listener { Name = "SSL", Host = $"broker{id}", Port = 9093, SecurityProtocol = 1 },
        ],
        Rack = rack,
    };

    private Task<BrokerRegistrationResponse> RegisterAsync(BrokerRegistrationRequest request, short version = 4, QuorumController? controller = null) =>
        CallAsync<BrokerRegistrationRequest, BrokerRegistrationResponse>(new BrokerRegistrationHandler(controller ?? _f.Controller), request, version);

    private Task<BrokerHeartbeatResponse> HeartbeatAsync(int id, long epoch, long? offset = null, bool wantFence = false, bool wantShutDown = false,
        short version = 1, QuorumController? controller = null) =>
        CallAsync<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(new BrokerHeartbeatHandler(controller ?? _f.Controller), new BrokerHeartbeatRequest
        {
            BrokerId = id,
            BrokerEpoch = epoch,
            CurrentMetadataOffset = offset ?? Image.Offset,
            WantFence = wantFence,
            WantShutDown = wantShutDown,
        }, version);

    private Task<UnregisterBrokerResponse> UnregisterAsync(int id, QuorumController? controller = null) =>
        CallAsync<UnregisterBrokerRequest, UnregisterBrokerResponse>(new UnregisterBrokerHandler(controller ?? _f.Controller, new ControllerForwarder(controller ?? _f.Controller)),
            new UnregisterBrokerRequest { BrokerId = id }, 0);

    private Task<AllocateProducerIdsResponse> AllocateProducerIdsAsync(int id, long epoch, QuorumController? controller = null) =>
        CallAsync<AllocateProducerIdsRequest, AllocateProducerIdsResponse>(new AllocateProducerIdsHandler(controller ?? _f.Controller),
            new AllocateProducerIdsRequest { BrokerId = id, BrokerEpoch = epoch }, 0);

    /// <summary>Registers broker <paramref name="id"/> and heartbeats it caught up, so it is unfenced; returns its epoch.</summary>
    private async Task<long> AddBrokerAsync(int id)
    {
        var registered = await RegisterAsync(Registration(id));
        Assert.Equal(0, registered.ErrorCode);
        var heartbeat = await HeartbeatAsync(id, registered.BrokerEpoch);
        Assert.False(heartbeat.IsFenced);
        return registered.BrokerEpoch;
    }

    [Fact]
    public void The_handlers_advertise_every_version_of_their_schemas()
    {
        var controller = _f.Controller;
        Assert.Equal((ApiKey.BrokerRegistration, 0, 4), Range(new BrokerRegistrationHandler(controller)));
        Assert.Equal((ApiKey.BrokerHeartbeat, 0, 1), Range(new BrokerHeartbeatHandler(controller)));
        Assert.Equal((ApiKey.UnregisterBroker, 0, 0), Range(new UnregisterBrokerHandler(controller, new ControllerForwarder(controller))));
        Assert.Equal((ApiKey.AllocateProducerIds, 0, 0), Range(new AllocateProducerIdsHandler(controller)));

        static (ApiKey, int, int) Range(IApiHandler h) => (h.Api, h.LowestVersion, h.HighestVersion);
    }

    public static TheoryData<short, short> Versions => new()
    {
        { 0, 0 }, { 1, 1 }, { 2, 0 }, { 3, 1 }, { 4, 1 },
    };

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task A_registered_broker_is_fenced_until_a_heartbeat_shows_it_caught_up(short registrationVersion, short heartbeatVersion)
    {
        var request = Registration(2);
        long before = Image.Offset;
        var registered = await RegisterAsync(request, registrationVersion);

        Assert.Equal((0, 0), (registered.ErrorCode, registered.ThrottleTimeMs));
        Assert.True(registered.BrokerEpoch > before, $"epoch {registered.BrokerEpoch}, log at {before} before");
        var broker = Image.Brokers[2];
        Assert.True(broker.Fenced);
        Assert.Equal((request.IncarnationId, registered.BrokerEpoch, "rack-a"), (broker.IncarnationId, broker.Epoch, broker.Rack));
        Assert.Equal(
            [new BrokerListener("PLAINTEXT", "broker2", 9092, 0), new BrokerListener("SSL", "broker2", 9093, 1)],
            broker.Listeners.ToArray());

        // Not yet caught up with its own registration: it stays fenced.
        var behind = await HeartbeatAsync(2, registered.BrokerEpoch, offset: broker.RegistrationOffset - 1, version: heartbeatVersion);
        Assert.Equal((0, 0, false, true, false), (behind.ErrorCode, behind.ThrottleTimeMs, behind.IsCaughtUp, behind.IsFenced, behind.ShouldShutDown));
        Assert.True(Image.Brokers[2].Fenced);

        // Asking to stay fenced (the broker is not ready to serve yet) keeps it fenced although caught up.
        var waiting = await HeartbeatAsync(2, registered.BrokerEpoch, wantFence: true, version: heartbeatVersion);
        Assert.Equal((0, true, true), (waiting.ErrorCode, waiting.IsCaughtUp, waiting.IsFenced));

        var caughtUp = await HeartbeatAsync(2, registered.BrokerEpoch, version: heartbeatVersion);
        Assert.Equal((0, true, false, false), (caughtUp.ErrorCode, caughtUp.IsCaughtUp, caughtUp.IsFenced, caughtUp.ShouldShutDown));
        Assert.False(Image.Brokers[2].Fenced);
    }

    [Fact]
    public async Task A_registration_without_a_rack_is_registered_without_one()
    {
        var registered = await RegisterAsync(Registration(2, rack: null), version: 0);
        Assert.Equal(0, registered.ErrorCode);
        Assert.Null(Image.Brokers[2].Rack);
    }

    [Fact]
    public async Task A_heartbeat_with_an_old_epoch_or_from_an_unknown_broker_is_told_its_epoch_is_stale()
    {
        long epoch = await AddBrokerAsync(2);

        var stale = await HeartbeatAsync(2, epoch - 1);
        Assert.Equal((short)ErrorCode.StaleBrokerEpoch, stale.ErrorCode);
        Assert.Equal((false, true, false), (stale.IsCaughtUp, stale.IsFenced, stale.ShouldShutDown)); // Kafka's defaults for an error
        var unknown = await HeartbeatAsync(9, epoch);
        Assert.Equal((short)ErrorCode.StaleBrokerEpoch, unknown.ErrorCode);
        Assert.False(Image.Brokers[2].Fenced); // a stale heartbeat changes nothing
    }

    [Fact]
    public async Task A_registration_for_another_cluster_is_refused()
    {
        var refused = await RegisterAsync(Registration(2, clusterId: "AAAAAAAAAAAAAAAAAAAAAA"));
        Assert.Equal(((short)ErrorCode.InconsistentClusterId, -1L), (refused.ErrorCode, refused.BrokerEpoch));
        Assert.False(Image.Brokers.ContainsKey(2));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task A_migrating_zookeeper_broker_is_refused(short version)
    {
        var request = Registration(2);
        request.IsMigratingZkBroker = true;
        var refused = await RegisterAsync(request, version);
        Assert.Equal(((short)ErrorCode.BrokerIdNotRegistered, -1L), (refused.ErrorCode, refused.BrokerEpoch));
        Assert.False(Image.Brokers.ContainsKey(2));
    }

    [Fact]
    public async Task A_broker_that_wants_to_shut_down_hands_its_leadership_over_then_is_told_to_shut_down()
    {
        long epoch = await AddBrokerAsync(2);
        var created = await _f.Controller.CreateTopicsAsync(
            [new NewTopic("led-by-2", -1, -1, [new PartitionAssignment(0, [2])], [])], validateOnly: false);
        Assert.Equal(ErrorCode.None, Assert.Single(created).Error);
        Assert.Equal(2, Image.Topic("led-by-2")!.Partitions[0].Leader);

        var first = await HeartbeatAsync(2, epoch, wantShutDown: true);
        Assert.Equal((0, false, false), (first.ErrorCode, first.IsFenced, first.ShouldShutDown)); // controlled shutdown: not yet
        Assert.True(Image.Brokers[2].InControlledShutdown);
        Assert.Equal(-1, Image.Topic("led-by-2")!.Partitions[0].Leader);

        var second = await HeartbeatAsync(2, epoch, wantShutDown: true);
        Assert.Equal((0, true, true), (second.ErrorCode, second.IsFenced, second.ShouldShutDown));
        Assert.True(Image.Brokers[2].Fenced);
    }

    [Fact]
    public async Task A_broker_that_leads_nothing_is_told_to_shut_down_at_once()
    {
        long epoch = await AddBrokerAsync(2);
        var answer = await HeartbeatAsync(2, epoch, wantShutDown: true, version: 0);
        Assert.Equal((0, true, true), (answer.ErrorCode, answer.IsFenced, answer.ShouldShutDown));
    }

    [Fact]
    public async Task Unregistering_removes_the_broker_and_an_unknown_one_is_not_registered()
    {
        await AddBrokerAsync(2);
        var removed = await UnregisterAsync(2);
        Assert.Equal(((short)0, 0, (string?)null), (removed.ErrorCode, removed.ThrottleTimeMs, removed.ErrorMessage));
        Assert.False(Image.Brokers.ContainsKey(2));

        var again = await UnregisterAsync(2);
        Assert.Equal((short)ErrorCode.BrokerIdNotRegistered, again.ErrorCode);
        Assert.Contains("2", again.ErrorMessage);
    }

    [Fact]
    public async Task A_controller_that_is_not_active_answers_not_controller()
    {
        // A controller of the quorum that does not lead it: never activated.
        using var standby = new QuorumController(new MetadataPublisher(MetadataImage.Empty(Image.ClusterId, 1)), new ControllerSettings(1),
            TimeProvider.System, new Random(1));

        var registered = await RegisterAsync(Registration(2), controller: standby);
        Assert.Equal(((short)ErrorCode.NotController, -1L), (registered.ErrorCode, registered.BrokerEpoch));
        var heartbeat = await HeartbeatAsync(1, 1, controller: standby);
        Assert.Equal(((short)ErrorCode.NotController, true), (heartbeat.ErrorCode, heartbeat.IsFenced));
        var unregistered = await UnregisterAsync(1, controller: standby);
        Assert.Equal((short)ErrorCode.NotController, unregistered.ErrorCode);
        var producerIds = await AllocateProducerIdsAsync(1, Image.Brokers[1].Epoch, controller: standby);
        Assert.Equal(((short)ErrorCode.NotController, 0L, 0), (producerIds.ErrorCode, producerIds.ProducerIdStart, producerIds.ProducerIdLen));
    }

    [Fact]
    public async Task Producer_id_blocks_follow_one_another_and_a_stale_or_unknown_broker_gets_none()
    {
        long epoch = await AddBrokerAsync(2);

        var first = await AllocateProducerIdsAsync(2, epoch);
        Assert.Equal((0, (short)0, 0L, 1000), (first.ThrottleTimeMs, first.ErrorCode, first.ProducerIdStart, first.ProducerIdLen));
        Assert.Equal(1000, Image.NextProducerId);
        var second = await AllocateProducerIdsAsync(1, Image.Brokers[1].Epoch);
        Assert.Equal(((short)0, 1000L, 1000), (second.ErrorCode, second.ProducerIdStart, second.ProducerIdLen));

        var stale = await AllocateProducerIdsAsync(2, epoch - 1);
        Assert.Equal(((short)ErrorCode.StaleBrokerEpoch, 0L, 0), (stale.ErrorCode, stale.ProducerIdStart, stale.ProducerIdLen));
        var unknown = await AllocateProducerIdsAsync(9, epoch);
        Assert.Equal((short)ErrorCode.StaleBrokerEpoch, unknown.ErrorCode);
        Assert.Equal(2000, Image.NextProducerId);
    }
}
