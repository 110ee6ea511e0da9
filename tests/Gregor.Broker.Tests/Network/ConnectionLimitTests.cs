using System.Net;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Tests.Network;

public sealed class ConnectionLimitTests
{
    private static readonly IPAddress Other = IPAddress.Parse("127.0.0.2");

    [Fact]
    public async Task Connections_over_max_connections_are_closed_at_once_and_a_freed_slot_is_reused()
    {
        await using var broker = await TestBroker.StartAsync(["max.connections=3"]);
        var open = new List<RawKafkaConnection>();
        for (int i = 0; i < 3; i++)
        {
            open.Add(await RawKafkaConnection.ConnectAsync(broker.Port));
            Assert.True(await open[i].IsServedAsync());
        }
        using (var over = await RawKafkaConnection.ConnectAsync(broker.Port))
            Assert.True(await over.IsClosedByBrokerAsync());
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Information, "max.connections (3)"));
        Assert.True(broker.Log.Contains(LogLevel.Information, "Rejected connection 4 from 127.0.0.1:"));

        open[0].Dispose();
        Assert.True(await ServedWithinAsync(broker.Port, TimeSpan.FromSeconds(30)), "a slot frees when a connection closes");
        foreach (var c in open) c.Dispose();
    }

    [Fact]
    public async Task Max_connections_per_ip_applies_per_address_with_overrides()
    {
        await using var broker = await TestBroker.StartAsync(["max.connections.per.ip=2", "max.connections.per.ip.overrides=127.0.0.2:4"]);
        var open = new List<RawKafkaConnection>();
        for (int i = 0; i < 2; i++)
        {
            open.Add(await RawKafkaConnection.ConnectAsync(broker.Port));
            Assert.True(await open[^1].IsServedAsync());
        }
        for (int i = 0; i < 4; i++)
        {
            open.Add(await RawKafkaConnection.ConnectAsync(broker.Port, from: Other));
            Assert.True(await open[^1].IsServedAsync());
        }
        using (var third = await RawKafkaConnection.ConnectAsync(broker.Port))
            Assert.True(await third.IsClosedByBrokerAsync());
        using (var fifth = await RawKafkaConnection.ConnectAsync(broker.Port, from: Other))
            Assert.True(await fifth.IsClosedByBrokerAsync());
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Information, "127.0.0.1 already has max.connections.per.ip (2) open"));
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Information, "127.0.0.2 already has max.connections.per.ip (4) open"));
        foreach (var c in open) c.Dispose();
    }

    [Fact]
    public async Task A_listener_limit_applies_to_its_listener()
    {
        await using var broker = await TestBroker.StartAsync(["listener.name.plaintext.max.connections=1"]);
        using var first = await RawKafkaConnection.ConnectAsync(broker.Port);
        Assert.True(await first.IsServedAsync());
        using var second = await RawKafkaConnection.ConnectAsync(broker.Port);
        Assert.True(await second.IsClosedByBrokerAsync());
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Information, "listener.name.plaintext.max.connections (1)"));
    }

    [Fact]
    public async Task Connections_over_the_creation_rate_wait_their_turn()
    {
        var clock = new ManualClock();
        await using var broker = await TestBroker.StartAsync(["max.connection.creation.rate=2"], clock);
        using var first = await RawKafkaConnection.ConnectAsync(broker.Port);
        using var second = await RawKafkaConnection.ConnectAsync(broker.Port);
        Assert.True(await first.IsServedAsync());
        Assert.True(await second.IsServedAsync());

        using var third = await RawKafkaConnection.ConnectAsync(broker.Port);
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Debug, "waits 500 ms (max.connection.creation.rate)"));
        Task<bool> served = third.IsServedAsync();
        Assert.True(await clock.WaitForTimerAsync(TimeSpan.FromMilliseconds(500)));
        Assert.False(served.IsCompleted, "not served before the rate allows");
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.True(await served);
    }

    private static async Task<bool> ServedWithinAsync(int port, TimeSpan patience)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < patience)
        {
            using var client = await RawKafkaConnection.ConnectAsync(port);
            if (await client.IsServedAsync()) return true;
            await Task.Delay(50);
        }
        return false;
    }
}
