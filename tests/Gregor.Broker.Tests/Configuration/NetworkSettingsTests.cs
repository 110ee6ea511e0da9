using Gregor.Broker.Configuration;

namespace Gregor.Broker.Tests.Configuration;

public sealed class NetworkSettingsTests
{
    private static BrokerConfig Parse(params string[] assignments) =>
        BrokerConfigParser.Parse(assignments.Select(BrokerConfigParser.ParseOverride));

    private static string Fails(params string[] assignments) =>
        Assert.Throws<BrokerConfigException>(() => Parse(assignments)).Message;

    [Fact]
    public void The_default_budget_is_a_quarter_of_the_memory_at_most_512_MiB()
    {
        Assert.Equal(512L << 20, MemoryBudget.DefaultFor(24L << 30));
        Assert.Equal(256L << 20, MemoryBudget.DefaultFor(1L << 30));
        Assert.Equal(MemoryBudget.Minimum, MemoryBudget.DefaultFor(1L << 20));
        Assert.Equal(MemoryBudget.MachineDefault(), Parse().MemoryBudgetBytes);
    }

    [Fact]
    public void Limits_derive_from_the_budget_unless_set()
    {
        var config = Parse("memory.budget.bytes=536870912");
        Assert.Equal(256L << 20, config.QueuedMaxRequestBytes);
        Assert.Equal(100 << 20, config.SocketRequestMaxBytes);
        Assert.Equal(64L << 20, config.ReceiveBufferBytes);
        Assert.Equal(MemoryBudget.MaxConnections(512L << 20, MemoryBudget.OpenFileLimit()), config.MaxConnections);
        Assert.Equal(int.MaxValue, config.MaxConnectionsPerIp);
        Assert.Equal(int.MaxValue, config.MaxConnectionCreationRate);
        Assert.Equal(600_000, config.ConnectionsMaxIdleMs);
        Assert.Equal(60_000, config.SocketWriteTimeoutMs);

        var small = Parse("memory.budget.bytes=67108864");
        Assert.Equal(32L << 20, small.QueuedMaxRequestBytes);
        Assert.Equal(32 << 20, small.SocketRequestMaxBytes); // a request must fit the request budget
        Assert.Equal(256, small.MaxConnections);
    }

    [Fact]
    public void Max_connections_is_a_quarter_of_the_budget_and_at_most_half_the_descriptors()
    {
        Assert.Equal(2048, MemoryBudget.MaxConnections(512L << 20, 0));
        Assert.Equal(500, MemoryBudget.MaxConnections(512L << 20, 1000));
    }

    [Fact]
    public void Explicit_limits_win()
    {
        var config = Parse("memory.budget.bytes=67108864", "queued.max.request.bytes=300000000", "socket.request.max.bytes=200000000",
            "max.connections=7", "max.connections.per.ip=3", "max.connections.per.ip.overrides=host-a:10, 10.0.0.1:0,[::1]:5",
            "max.connection.creation.rate=20", "listener.name.plaintext.max.connections=5", "listener.name.plaintext.max.connection.creation.rate=4",
            "connections.max.idle.ms=-1", "socket.write.timeout.ms=1500");
        Assert.Equal(300_000_000, config.QueuedMaxRequestBytes);
        Assert.Equal(200_000_000, config.SocketRequestMaxBytes);
        Assert.Equal(7, config.MaxConnections);
        Assert.Equal(3, config.MaxConnectionsPerIp);
        Assert.Equal(new Dictionary<string, int> { ["host-a"] = 10, ["10.0.0.1"] = 0, ["[::1]"] = 5 }, config.MaxConnectionsPerIpOverrides);
        Assert.Equal(20, config.MaxConnectionCreationRate);
        Assert.Equal(new ListenerConnectionLimits(5, 4), config.ListenerLimits["PLAINTEXT"]);
        Assert.Equal(-1, config.ConnectionsMaxIdleMs);
        Assert.Equal(1500, config.SocketWriteTimeoutMs);
    }

    [Fact]
    public void Queued_max_request_bytes_of_zero_or_less_is_unbounded_as_in_kafka()
    {
        var config = Parse("queued.max.request.bytes=-1", "memory.budget.bytes=16777216");
        Assert.Equal(-1, config.QueuedMaxRequestBytes);
        Assert.Equal(100 << 20, config.SocketRequestMaxBytes);
    }

    [Theory]
    [InlineData("memory.budget.bytes=1000", "'memory.budget.bytes'")]
    [InlineData("max.connections=-1", "'max.connections'")]
    [InlineData("max.connections.per.ip=0", "can be 0 only when max.connections.per.ip.overrides")]
    [InlineData("max.connections.per.ip.overrides=hostonly", "'hostonly' is not host:count")]
    [InlineData("max.connections.per.ip.overrides=a:1,a:2", "host a appears twice")]
    [InlineData("max.connections.per.ip.overrides=a:-1", "'a:-1' is not host:count")]
    [InlineData("max.connection.creation.rate=0", "'max.connection.creation.rate'")]
    [InlineData("listener.name.other.max.connections=5", "there is no listener OTHER")]
    [InlineData("listener.name.plaintext.max.connections=x", "'listener.name.plaintext.max.connections'")]
    [InlineData("connections.max.idle.ms=0", "'connections.max.idle.ms'")]
    [InlineData("socket.write.timeout.ms=0", "'socket.write.timeout.ms'")]
    public void Bad_values_are_refused_with_the_reason(string setting, string expected) =>
        Assert.Contains(expected, Fails(setting), StringComparison.Ordinal);

    [Fact]
    public void The_request_budget_must_hold_the_largest_request_as_in_kafka()
    {
        Assert.Contains("must be at least socket.request.max.bytes (2000000)",
            Fails("queued.max.request.bytes=1000000", "socket.request.max.bytes=2000000"), StringComparison.Ordinal);
        Assert.Equal(1_000_000, Parse("queued.max.request.bytes=1000000").SocketRequestMaxBytes); // derived: it fits
    }

    [Fact]
    public void Per_ip_may_be_zero_when_overrides_name_who_may_connect() =>
        Assert.Equal(0, Parse("max.connections.per.ip=0", "max.connections.per.ip.overrides=127.0.0.1:10").MaxConnectionsPerIp);

    [Fact]
    public void Unknown_listener_level_settings_are_still_refused() =>
        Assert.Contains("Unknown setting 'listener.name.plaintext.max.queued'", Fails("listener.name.plaintext.max.queued=1"), StringComparison.Ordinal);

    [Fact]
    public void The_start_up_line_names_every_limit_and_its_value()
    {
        string line = LimitsSummary.Describe(Parse("memory.budget.bytes=536870912", "max.connections.per.ip.overrides=127.0.0.2:4",
            "listener.name.plaintext.max.connections=9"));
        Assert.Contains("memory.budget.bytes=536870912 (512 MiB, set)", line, StringComparison.Ordinal);
        Assert.Contains("queued.max.request.bytes=268435456", line, StringComparison.Ordinal);
        Assert.Contains("socket.request.max.bytes=104857600", line, StringComparison.Ordinal);
        Assert.Contains("receive blocks 64 MiB", line, StringComparison.Ordinal);
        Assert.Contains("max.connections.per.ip=unbounded (overrides: 127.0.0.2:4)", line, StringComparison.Ordinal);
        Assert.Contains("listener PLAINTEXT: max.connections=9 max.connection.creation.rate=unbounded", line, StringComparison.Ordinal);
        Assert.Contains("connections.max.idle.ms=600000, socket.write.timeout.ms=60000", line, StringComparison.Ordinal);
        Assert.Contains("default: a quarter", LimitsSummary.Describe(Parse()), StringComparison.Ordinal);
    }
}
