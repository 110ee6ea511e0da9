using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

public sealed class BrokerRegistrationTests : IDisposable
{
    private readonly LifecycleCluster _c = new();

    public void Dispose() => _c.Dispose();

    [Fact]
    public async Task A_registration_for_another_cluster_is_refused()
    {
        var outcome = await _c.Controller.RegisterBrokerAsync(new BrokerRegistrationRequest(2, "another-cluster", KafkaUuid.NewRandom(new Random(1)), LifecycleCluster.Endpoint(2), null));
        Assert.Equal((ErrorCode.InconsistentClusterId, -1L), (outcome.Error, outcome.BrokerEpoch));
        Assert.False(_c.Image.Brokers.ContainsKey(2));
    }

    [Fact]
    public async Task A_new_broker_is_registered_fenced_with_the_offset_of_its_record_as_epoch_and_every_listener()
    {
        long before = _c.Image.Offset;
        var endpoints = new[] { new BrokerEndpointInfo("PLAINTEXT", "b2", 9092, 0), new BrokerEndpointInfo("SSL", "b2", 9093, 1) };
        var incarnation = KafkaUuid.NewRandom(new Random(2));
        var outcome = await _c.Controller.RegisterBrokerAsync(new BrokerRegistrationRequest(2, _c.Image.ClusterId, incarnation, endpoints, "rack-a"));

        Assert.Equal(ErrorCode.None, outcome.Error);
        var broker = _c.Broker(2);
        Assert.Equal(before + 1, outcome.BrokerEpoch);
        Assert.Equal((outcome.BrokerEpoch, incarnation, true, false, "rack-a"), (broker.Epoch, broker.IncarnationId, broker.Fenced, broker.InControlledShutdown, broker.Rack));
        Assert.Equal(_c.Image.Offset, broker.RegistrationOffset);
        Assert.Equal(broker.RegistrationOffset, broker.Epoch);
        Assert.Equal([new BrokerListener("PLAINTEXT", "b2", 9092, 0), new BrokerListener("SSL", "b2", 9093, 1)], broker.Listeners.ToArray());
        Assert.Equal(("b2", 9092), (broker.Host, broker.Port));
    }

    [Fact]
    public async Task Another_incarnation_is_refused_while_the_registered_one_is_live_and_let_in_once_its_session_expired()
    {
        await _c.AddBrokerAsync(2);
        long firstEpoch = _c.Epochs[2];

        var intruder = new BrokerRegistrationRequest(2, _c.Image.ClusterId, KafkaUuid.NewRandom(new Random(99)), LifecycleCluster.Endpoint(2), null);
        Assert.Equal(ErrorCode.DuplicateBrokerRegistration, (await _c.Controller.RegisterBrokerAsync(intruder)).Error);

        _c.Clock.Advance(TimeSpan.FromMilliseconds(9001));
        var restarted = await _c.Controller.RegisterBrokerAsync(intruder);
        Assert.Equal(ErrorCode.None, restarted.Error);
        Assert.True(restarted.BrokerEpoch > firstEpoch);
        Assert.True(_c.Broker(2).Fenced);
    }

    [Fact]
    public async Task The_same_incarnation_registering_again_keeps_its_epoch_and_state()
    {
        await _c.AddBrokerAsync(2);
        var again = await _c.Controller.RegisterBrokerAsync(new BrokerRegistrationRequest(2, _c.Image.ClusterId, _c.Incarnations[2], LifecycleCluster.Endpoint(2), "rack-b"));
        Assert.Equal((ErrorCode.None, _c.Epochs[2]), (again.Error, again.BrokerEpoch));
        Assert.False(_c.Broker(2).Fenced);
        Assert.Equal("rack-b", _c.Broker(2).Rack);
    }

    [Fact]
    public async Task A_registered_broker_stays_fenced_until_it_has_applied_its_registration_and_does_not_ask_to_stay_fenced()
    {
        await _c.RegisterAsync(2);
        long registration = _c.Broker(2).RegistrationOffset;

        var behind = await _c.HeartbeatAsync(2, offset: registration - 1);
        Assert.Equal((ErrorCode.None, false, true, false), (behind.Error, behind.IsCaughtUp, behind.IsFenced, behind.ShouldShutDown));
        Assert.True(_c.Broker(2).Fenced);

        var wantsFence = await _c.HeartbeatAsync(2, wantFence: true, offset: registration);
        Assert.Equal((true, true), (wantsFence.IsCaughtUp, wantsFence.IsFenced));
        Assert.True(_c.Broker(2).Fenced);

        var caughtUp = await _c.HeartbeatAsync(2, offset: registration);
        Assert.Equal((true, false), (caughtUp.IsCaughtUp, caughtUp.IsFenced));
        Assert.False(_c.Broker(2).Fenced);

        var fenceAgain = await _c.HeartbeatAsync(2, wantFence: true);
        Assert.True(fenceAgain.IsFenced);
        Assert.True(_c.Broker(2).Fenced);
    }

    [Fact]
    public async Task Heartbeats_with_another_epoch_or_from_an_unregistered_broker_are_stale()
    {
        await _c.AddBrokerAsync(2);
        var stale = await _c.Controller.BrokerHeartbeatAsync(new BrokerHeartbeat(2, _c.Epochs[2] - 1, _c.Image.Offset, false, false));
        Assert.Equal(ErrorCode.StaleBrokerEpoch, stale.Error);
        var unknown = await _c.Controller.BrokerHeartbeatAsync(new BrokerHeartbeat(9, 5, _c.Image.Offset, false, false));
        Assert.Equal(ErrorCode.StaleBrokerEpoch, unknown.Error);
    }

    [Fact]
    public async Task Unregistering_an_unknown_broker_fails_and_a_known_one_disappears()
    {
        Assert.Equal(ErrorCode.BrokerIdNotRegistered, (await _c.Controller.UnregisterBrokerAsync(9)).Error);
        await _c.AddBrokerAsync(2);
        Assert.True((await _c.Controller.UnregisterBrokerAsync(2)).IsOk);
        Assert.False(_c.Image.Brokers.ContainsKey(2));
    }

    [Fact]
    public async Task The_in_process_broker_is_registered_unfenced_and_writes_nothing_when_registered_unchanged()
    {
        var local = _c.Broker(1);
        Assert.False(local.Fenced);
        Assert.True(local.Epoch >= 0);
        long end = _c.Image.Offset;
        await _c.Controller.RegisterBrokerAsync(1, [new BrokerEndpointInfo("PLAINTEXT", "localhost", 9092, 0)], null);
        Assert.Equal(end, _c.Image.Offset);

        // A changed listener is a new registration, unfenced at once.
        await _c.Controller.RegisterBrokerAsync(1, [new BrokerEndpointInfo("PLAINTEXT", "localhost", 9192, 0)], null);
        Assert.Equal((9192, false), (_c.Broker(1).Port, _c.Broker(1).Fenced));
        Assert.True(_c.Broker(1).Epoch > local.Epoch);
    }
}
