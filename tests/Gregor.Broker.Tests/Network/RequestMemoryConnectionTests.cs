using System.Buffers.Binary;
using Gregor.Broker.Network;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Tests.Network;

/// <summary>The request budget (queued.max.request.bytes) as connections meet it.</summary>
public sealed class RequestMemoryConnectionTests
{
    /// <summary>A Waiting request (held until released) whose body is padded to <paramref name="bodyBytes"/>.</summary>
    private static byte[] HeldRequest(int correlationId, int bodyBytes)
    {
        var body = new byte[bodyBytes];
        BinaryPrimitives.WriteInt32BigEndian(body, 1);
        return RawKafkaConnection.Frame((short)TestApis.Waiting, 0, correlationId, body);
    }

    private static async Task<bool> UntilAsync(Func<bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(30)) return false;
            await Task.Delay(10);
        }
        return true;
    }

    [Fact]
    public async Task A_request_holds_memory_in_proportion_to_what_has_arrived_not_to_its_size_prefix()
    {
        await using var broker = await TestBroker.StartAsync();
        var memory = broker.Host.Services.GetRequiredService<RequestMemory>();
        using var a = await RawKafkaConnection.ConnectAsync(broker.Port);
        using var b = await RawKafkaConnection.ConnectAsync(broker.Port);
        await a.SendAsync(RawKafkaConnection.Int32(50 << 20)); // claims 50 MiB, sends nothing more
        await b.SendAsync([.. RawKafkaConnection.Int32(50 << 20), 0]);
        Assert.True(await UntilAsync(() => memory.Used == FrameBufferPool.SmallFrameBytes), $"used {memory.Used}");
        await a.SendAsync([0]);
        Assert.True(await UntilAsync(() => memory.Used == 2 * FrameBufferPool.SmallFrameBytes), $"used {memory.Used}");

        // A megabyte more: the buffer grows with it, to at most eight times what arrived.
        await b.SendAsync(new byte[1 << 20]);
        long most = FrameBufferPool.CapacityFor(8 * ((1 << 20) + 1));
        Assert.True(await UntilAsync(() => memory.Used - FrameBufferPool.SmallFrameBytes is var held && held > 1 << 20 && held <= most), $"used {memory.Used}");

        a.Dispose();
        b.Dispose();
        Assert.True(await UntilAsync(() => memory.Used == 0), "closed connections give their memory back");
    }

    [Fact]
    public async Task When_request_memory_is_spent_the_broker_stops_reading_until_answers_free_it()
    {
        var clock = new ManualClock();
        var waiting = new WaitingHandler();
        await using var broker = await TestBroker.StartAsync(["socket.request.max.bytes=1048576", "queued.max.request.bytes=4194304"], clock, waiting);
        var memory = broker.Host.Services.GetRequiredService<RequestMemory>();
        var clients = new List<RawKafkaConnection>();
        for (int i = 0; i < 5; i++) clients.Add(await RawKafkaConnection.ConnectAsync(broker.Port));
        for (int i = 0; i < 4; i++) await clients[i].SendAsync(HeldRequest(i, 900 * 1024)); // 1 MiB of buffer each
        Assert.True(await UntilAsync(() => waiting.Started == 4));
        Assert.Equal(4L << 20, memory.Used);

        await clients[4].SendAsync(HeldRequest(4, 900 * 1024));
        Assert.True(await UntilAsync(() => memory.Waiting == 1), "the fifth waits for memory");
        // Requests being handled are not closed to make room, however long the fifth waits.
        Assert.True(await clock.WaitForTimerAsync(RequestMemory.EvictAfter));
        clock.Advance(RequestMemory.EvictAfter);
        Assert.True(await clock.WaitForTimerAsync(RequestMemory.EvictAfter), "still waiting");
        Assert.Equal(4, waiting.Started);
        Assert.False(broker.Log.Contains(LogLevel.Warning, "holds"));

        waiting.Release();
        for (int i = 0; i < 5; i++) Assert.Equal(i, (await clients[i].ReceiveResponseAsync(0)).CorrelationId);
        Assert.True(await UntilAsync(() => memory.Used == 0));
        foreach (var c in clients) c.Dispose();
    }

    [Fact]
    public async Task The_connection_holding_the_largest_unfinished_request_is_closed_when_another_waits()
    {
        var clock = new ManualClock();
        await using var broker = await TestBroker.StartAsync(["socket.request.max.bytes=4194304", "queued.max.request.bytes=4194304"], clock);
        var memory = broker.Host.Services.GetRequiredService<RequestMemory>();
        using var hog = await RawKafkaConnection.ConnectAsync(broker.Port);
        await hog.SendAsync([.. RawKafkaConnection.Int32(4 << 20), .. new byte[7 << 19]]); // 3.5 of 4 MiB, never finished
        Assert.True(await UntilAsync(() => memory.Used == 4 << 20), $"used {memory.Used}");

        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);
        Task<bool> served = client.IsServedAsync();
        Assert.True(await UntilAsync(() => memory.Waiting == 1));
        Assert.True(await clock.WaitForTimerAsync(RequestMemory.EvictAfter));
        clock.Advance(RequestMemory.EvictAfter);

        Assert.True(await served);
        Assert.True(await hog.IsClosedByBrokerAsync());
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Warning, "its unfinished 4194304-byte request"));
        Assert.True(broker.Log.Contains(LogLevel.Warning, "Closing connection 1 from 127.0.0.1:"));
    }

    [Fact]
    public async Task Large_unfinished_requests_cannot_take_the_memory_ordinary_requests_need()
    {
        // A manual clock that never moves: no request waits long enough to close another.
        await using var broker = await TestBroker.StartAsync(["socket.request.max.bytes=4194304", "queued.max.request.bytes=16777216"], new ManualClock(), new EchoHandler());
        var memory = broker.Host.Services.GetRequiredService<RequestMemory>();
        var hogs = new List<RawKafkaConnection>();
        for (int i = 0; i < 4; i++)
        {
            hogs.Add(await RawKafkaConnection.ConnectAsync(broker.Port));
            await hogs[i].SendAsync([.. RawKafkaConnection.Int32(4 << 20), .. new byte[7 << 19]]);
        }
        // Three quarters (12 MiB) go to large requests: they do not all fit, and some wait.
        Assert.Equal(12 << 20, memory.LargeCapacity);
        Assert.True(await UntilAsync(() => memory.Waiting > 0), $"used {memory.Used}, waiting {memory.Waiting}");
        Assert.InRange(memory.Used, 4 << 20, 12 << 20);

        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);
        var body = new byte[1 << 20];
        new Random(3).NextBytes(body);
        for (int i = 0; i < 5; i++)
        {
            await client.SendAsync(RawKafkaConnection.Frame((short)TestApis.Echo, 0, i, body));
            var (id, echoed) = await client.ReceiveResponseAsync(0);
            Assert.Equal(i, id);
            Assert.True(body.AsSpan().SequenceEqual(echoed));
        }
        foreach (var c in hogs) c.Dispose();
    }
}
