using Gregor.Broker.Configuration;
using Gregor.Broker.Hosting;

namespace Gregor.Broker.Tests.Configuration;

public sealed class QuorumSettingsTests
{
    private const string CombinedListeners = "listeners=PLAINTEXT://localhost:9092,CONTROLLER://localhost:9093";

    private static BrokerConfig Parse(params string[] assignments) =>
        BrokerConfigParser.Parse(assignments.Select(BrokerConfigParser.ParseOverride));

    private static void Fails(string setting, string reason, params string[] assignments)
    {
        var e = Assert.Throws<BrokerConfigException>(() => Parse(assignments));
        Assert.Contains($"'{setting}'", e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_given_is_a_single_node_with_both_roles_and_kafkas_timings()
    {
        var config = Parse();
        Assert.Equal(ProcessRoles.BrokerAndController, config.Quorum.Roles);
        Assert.True(config.Quorum.IsImplicitSingleNode);
        Assert.Empty(config.Quorum.Voters);
        Assert.Empty(config.Quorum.BootstrapServers);
        Assert.Empty(config.Quorum.ControllerListenerNames);
        Assert.Equal((1000, 2000, 1000), (config.Quorum.ElectionTimeoutMs, config.Quorum.FetchTimeoutMs, config.Quorum.ElectionBackoffMaxMs));
        Assert.Equal((9000, 2000), (config.BrokerLifecycle.SessionTimeoutMs, config.BrokerLifecycle.HeartbeatIntervalMs));
        Assert.Equal((3_600_000L, 20_971_520L), (config.MetadataSnapshots.MaxIntervalMs, config.MetadataSnapshots.MaxRecordBytesBetweenSnapshots));
        Assert.Null(config.BrokerRack);
        Assert.Null(NodeRuntime.WhyNotRunnable(config));
    }

    [Fact]
    public void A_single_voter_combined_node_is_read_and_runnable()
    {
        var config = Parse("process.roles=broker,controller", "node.id=1", "controller.quorum.voters=1@localhost:9093",
            "controller.listener.names=controller", CombinedListeners, "broker.rack=rack-a");
        Assert.Equal([new QuorumVoter(1, "localhost", 9093)], config.Quorum.Voters);
        Assert.Equal(["CONTROLLER"], config.Quorum.ControllerListenerNames);
        Assert.False(config.Quorum.IsImplicitSingleNode);
        Assert.Equal("rack-a", config.BrokerRack);
        Assert.Null(NodeRuntime.WhyNotRunnable(config));
    }

    [Fact]
    public void Controller_listeners_are_not_advertised_to_clients()
    {
        var config = Parse("controller.quorum.voters=1@localhost:9093", "controller.listener.names=CONTROLLER", CombinedListeners);
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "localhost", 9092)], config.EffectiveAdvertisedListeners);
        var advertised = Parse("controller.quorum.voters=1@localhost:9093", "controller.listener.names=CONTROLLER", CombinedListeners,
            "advertised.listeners=PLAINTEXT://broker1:9092,CONTROLLER://broker1:9093");
        Assert.Equal([new ListenerEndpoint("PLAINTEXT", "broker1", 9092)], advertised.EffectiveAdvertisedListeners);
    }

    [Fact]
    public void Timings_are_read()
    {
        var config = Parse("controller.quorum.election.timeout.ms=1500", "controller.quorum.fetch.timeout.ms=3000",
            "controller.quorum.election.backoff.max.ms=700", "broker.session.timeout.ms=18000", "broker.heartbeat.interval.ms=3000",
            "metadata.log.max.snapshot.interval.ms=0", "metadata.log.max.record.bytes.between.snapshots=1024");
        Assert.Equal((1500, 3000, 700), (config.Quorum.ElectionTimeoutMs, config.Quorum.FetchTimeoutMs, config.Quorum.ElectionBackoffMaxMs));
        Assert.Equal((18000, 3000), (config.BrokerLifecycle.SessionTimeoutMs, config.BrokerLifecycle.HeartbeatIntervalMs));
        Assert.Equal((0L, 1024L), (config.MetadataSnapshots.MaxIntervalMs, config.MetadataSnapshots.MaxRecordBytesBetweenSnapshots));
    }

    [Fact]
    public void Voters_and_bootstrap_servers_are_parsed_with_ipv6_in_brackets()
    {
        var config = Parse("process.roles=broker", "node.id=4", "controller.listener.names=CONTROLLER",
            "controller.quorum.voters=1@c1:9093, 2@[::1]:9093,3@10.0.0.3:9093", "controller.quorum.bootstrap.servers=c1:9093,[::1]:9094");
        Assert.Equal([new QuorumVoter(1, "c1", 9093), new QuorumVoter(2, "::1", 9093), new QuorumVoter(3, "10.0.0.3", 9093)], config.Quorum.Voters);
        Assert.Equal([new QuorumBootstrapServer("c1", 9093), new QuorumBootstrapServer("::1", 9094)], config.Quorum.BootstrapServers);
        Assert.Equal(ProcessRoles.Broker, config.Quorum.Roles);
    }

    [Theory]
    [InlineData("process.roles=leader", "unknown role 'leader'")]
    [InlineData("process.roles=broker,broker", "role broker appears twice")]
    [InlineData("process.roles= ", "expected broker, controller or broker,controller")]
    public void Process_roles_are_kafkas_two(string setting, string reason) => Fails("process.roles", reason, setting);

    [Theory]
    [InlineData("1@localhost:9093,1@other:9093", "voter id 1 appears twice")]
    [InlineData("localhost:9093", "is not id@host:port")]
    [InlineData("1@2@h:1", "is not id@host:port")]
    [InlineData("x@localhost:9093", "voter id 'x' is not a node id")]
    [InlineData("-1@localhost:9093", "voter id '-1' is not a node id")]
    [InlineData("1@localhost", "has no host:port")]
    [InlineData("1@:9093", "has no host:port")]
    [InlineData("1@localhost:0", "is not a port between 1 and 65535")]
    [InlineData("1@localhost:99999", "is not a port between 1 and 65535")]
    [InlineData("1@0.0.0.0:9093", "0.0.0.0 is not an address")]
    [InlineData("1@::1:9093", "write an IPv6 address in brackets")]
    [InlineData("1@bad/host:9093", "has no valid host")]
    public void Bad_voters_are_refused(string voters, string reason) =>
        Fails("controller.quorum.voters", reason, "controller.quorum.voters=" + voters, "controller.listener.names=CONTROLLER", CombinedListeners);

    [Theory]
    [InlineData("c1", "has no host:port")]
    [InlineData("c1:port", "is not a port")]
    [InlineData("0.0.0.0:9093", "0.0.0.0 is not an address")]
    public void Bad_bootstrap_servers_are_refused(string servers, string reason) =>
        Fails("controller.quorum.bootstrap.servers", reason, "controller.quorum.bootstrap.servers=" + servers, "controller.listener.names=CONTROLLER", CombinedListeners);

    [Fact]
    public void A_controller_must_be_a_voter() =>
        Fails("controller.quorum.voters", "so it must be one of the voters",
            "node.id=5", "controller.quorum.voters=1@c1:9093,2@c2:9093", "controller.listener.names=CONTROLLER", CombinedListeners);

    [Fact]
    public void A_broker_only_node_must_not_be_a_voter() =>
        Fails("controller.quorum.voters", "so it must not be one of the voters",
            "process.roles=broker", "node.id=1", "controller.quorum.voters=1@c1:9093", "controller.listener.names=CONTROLLER");

    [Theory]
    [InlineData("process.roles=broker")]
    [InlineData("process.roles=controller")]
    public void A_node_of_one_role_needs_voters_or_bootstrap_servers(string roles)
    {
        var e = Assert.Throws<BrokerConfigException>(() => Parse(roles, "controller.listener.names=CONTROLLER", "listeners=CONTROLLER://:9093"));
        Assert.Contains("'controller.quorum.voters' or 'controller.quorum.bootstrap.servers' is needed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_controller_in_a_given_quorum_needs_a_controller_listener_name() =>
        Fails("controller.listener.names", "needs the name of its listener", "controller.quorum.voters=1@localhost:9093", CombinedListeners);

    [Fact]
    public void A_controller_listens_on_each_controller_listener() =>
        Fails("controller.listener.names", "there is no listener CONTROLLER in 'listeners'",
            "controller.quorum.voters=1@localhost:9093", "controller.listener.names=CONTROLLER");

    [Fact]
    public void The_implicit_single_node_still_checks_a_controller_listener_name_it_is_given() =>
        Fails("controller.listener.names", "there is no listener CONTROLLER", "controller.listener.names=CONTROLLER");

    [Fact]
    public void A_controller_only_node_has_only_controller_listeners() =>
        Fails("listeners", "listener PLAINTEXT is not in 'controller.listener.names'",
            "process.roles=controller", "controller.quorum.voters=1@localhost:9093", "controller.listener.names=CONTROLLER", CombinedListeners);

    [Fact]
    public void A_broker_only_node_names_the_controller_listener() =>
        Fails("controller.listener.names", "a broker-only node (process.roles=broker) needs the name",
            "process.roles=broker", "node.id=2", "controller.quorum.voters=1@c1:9093");

    [Fact]
    public void A_broker_only_node_does_not_listen_on_the_controller_listener() =>
        Fails("controller.listener.names", "does not serve controllers",
            "process.roles=broker", "node.id=2", "controller.quorum.voters=1@c1:9093", "controller.listener.names=CONTROLLER", CombinedListeners);

    [Fact]
    public void A_broker_keeps_a_listener_for_clients() =>
        Fails("controller.listener.names", "clients need one that is not",
            "controller.quorum.voters=1@localhost:9093", "controller.listener.names=CONTROLLER", "listeners=CONTROLLER://localhost:9093");

    [Theory]
    [InlineData("controller.listener.names=SSL", "SSL listeners are not supported")]
    [InlineData("controller.listener.names=CON-TROLLER", "may hold only letters, digits and _")]
    [InlineData("controller.listener.names=CONTROLLER,controller", "listener name CONTROLLER appears twice")]
    public void Controller_listener_names_are_listener_names(string setting, string reason) =>
        Fails("controller.listener.names", reason, setting, "controller.quorum.voters=1@localhost:9093", CombinedListeners);

    [Theory]
    [InlineData("controller.quorum.election.timeout.ms=0")]
    [InlineData("controller.quorum.fetch.timeout.ms=-1")]
    [InlineData("controller.quorum.election.backoff.max.ms=soon")]
    [InlineData("broker.session.timeout.ms=0")]
    [InlineData("metadata.log.max.snapshot.interval.ms=-1")]
    [InlineData("metadata.log.max.record.bytes.between.snapshots=0")]
    public void Timings_out_of_range_are_refused_by_name(string setting) =>
        Fails(setting[..setting.IndexOf('=', StringComparison.Ordinal)], "Invalid value", setting);

    [Fact]
    public void The_heartbeat_comes_more_often_than_the_session_ends() =>
        Fails("broker.heartbeat.interval.ms", "must be less than broker.session.timeout.ms (9000)", "broker.heartbeat.interval.ms=9000");

    [Fact]
    public void An_empty_rack_is_no_rack() => Assert.Null(Parse("broker.rack= ").BrokerRack);

    [Theory]
    [InlineData("process.roles=controller,controller.quorum.bootstrap.servers=localhost:9093,controller.listener.names=CONTROLLER,listeners=CONTROLLER://:9093", "dynamic quorum")]
    [InlineData("controller.quorum.bootstrap.servers=localhost:9093,controller.listener.names=CONTROLLER,listeners=PLAINTEXT://:9092;CONTROLLER://:9093", "dynamic quorum")]
    public void A_dynamic_quorum_is_refused_at_start(string settings, string reason)
    {
        // ',' separates the settings here; ';' stands for a comma inside one.
        var config = Parse(settings.Split(',').Select(s => s.Replace(';', ',')).ToArray());
        var e = Assert.Throws<BrokerConfigException>(() => NodeRuntime.EnsureRunnable(config));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.Contains("this build runs a quorum of static voters", e.Message, StringComparison.Ordinal);
        Assert.Throws<BrokerConfigException>(() => BrokerHost.Create(config));
    }

    [Theory]
    [InlineData("process.roles=broker,node.id=4,controller.quorum.voters=1@c1:9093;2@c2:9093;3@c3:9093,controller.listener.names=CONTROLLER,listeners=PLAINTEXT://:9092")]
    [InlineData("process.roles=broker,node.id=2,controller.quorum.voters=1@c1:9093,controller.listener.names=CONTROLLER,listeners=PLAINTEXT://:9092")]
    [InlineData("controller.quorum.voters=1@localhost:9093;2@h2:9093;3@h3:9093,controller.listener.names=CONTROLLER,listeners=PLAINTEXT://:9092;CONTROLLER://:9093")]
    public void Brokers_of_a_cluster_run(string settings)
    {
        var config = Parse(settings.Split(',').Select(s => s.Replace(';', ',')).ToArray());
        Assert.True(NodeRuntime.IsClusterBroker(config));
        Assert.False(NodeRuntime.IsControllerQuorumMember(config));
        Assert.Null(NodeRuntime.WhyNotRunnable(config));
    }

    [Fact]
    public void A_sole_voter_that_is_also_the_broker_is_the_single_node() =>
        Assert.False(NodeRuntime.IsClusterBroker(Parse("process.roles=broker,controller", "node.id=1", "controller.quorum.voters=1@localhost:9093",
            "controller.listener.names=controller", CombinedListeners)));

    [Fact]
    public void A_controller_only_member_of_static_voters_runs()
    {
        var config = Parse("process.roles=controller", "controller.quorum.voters=1@localhost:9093,2@h2:9093,3@h3:9093",
            "controller.listener.names=CONTROLLER", "listeners=CONTROLLER://:9093");
        Assert.True(NodeRuntime.IsControllerQuorumMember(config));
        Assert.Null(NodeRuntime.WhyNotRunnable(config));
    }
}
