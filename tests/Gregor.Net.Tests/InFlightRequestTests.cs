using System.Net;
using System.Net.Sockets;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Net.Tests;

/// <summary>
/// What happens to requests in flight on one connection: several at once, answered in order;
/// one timing out; the node closing the socket or sending a frame over the limit; a caller
/// giving up. Every failure of the connection must reach every request waiting on it.
/// </summary>
public sealed class InFlightRequestTests
{
    // Long enough that a loaded machine never turns an answer into a timeout; the timeout tests set their own.
    private static readonly ConnectionSettings Settings = new() { RequestTimeout = TimeSpan.FromSeconds(30), ConnectTimeout = TimeSpan.FromSeconds(5) };

    private static MetadataRequest AskFor(string topic) => new() { Topics = [new MetadataRequest.MetadataRequestTopic { Name = topic }] };

    /// <summary>Answers Metadata by naming back the topics asked for, so each caller can tell its own answer.</summary>
    private static FakeReply Echo(FakeRequest request) => FakeReply.Answer(new MetadataResponse
    {
        Topics = [.. request.Body<MetadataRequest>().Topics!.Select(t => new MetadataResponse.MetadataResponseTopic { Name = t.Name })],
    });

    private static Task<MetadataResponse> Send(BrokerConnection connection, string topic, CancellationToken cancellationToken = default) =>
        connection.SendAsync<MetadataRequest, MetadataResponse>(AskFor(topic), 12, cancellationToken);

    [Fact]
    public async Task Requests_are_all_in_flight_at_once_and_each_caller_gets_its_own_answer()
    {
        const int Requests = 20;
        var allArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int arrived = 0;
        // Nothing is answered until every request has reached the node: only pipelining gets them all there.
        await using var node = new FakeKafkaServer(async r =>
        {
            if (r.ApiKey != (short)ApiKey.Metadata) return null;
            if (Interlocked.Increment(ref arrived) == Requests) allArrived.SetResult();
            await allArrived.Task;
            return Echo(r);
        });
        await using var connection = await BrokerConnection.ConnectAsync(node.Endpoint, Settings, default);

        var sends = Enumerable.Range(0, Requests).Select(i => Send(connection, "topic-" + i)).ToArray();
        var answers = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(20));

        for (int i = 0; i < Requests; i++) Assert.Equal("topic-" + i, Assert.Single(answers[i].Topics).Name);
        Assert.Equal(1, node.Connections);
        Assert.True(connection.IsAlive);
    }

    [Fact]
    public async Task A_request_unanswered_within_its_own_timeout_fails_though_the_connection_default_is_longer()
    {
        await using var node = new FakeKafkaServer();
        await using var connection = await BrokerConnection.ConnectAsync(node.Endpoint, Settings, default);
        var started = DateTime.UtcNow;

        var e = await Assert.ThrowsAsync<BrokerConnectionException>(() =>
            connection.SendAsync<MetadataRequest, MetadataResponse>(AskFor("t"), 12, TimeSpan.FromMilliseconds(300)));

        Assert.Equal(WireErrorCode.RequestTimedOut, e.Code);
        Assert.Contains("within 300 ms", e.Message, StringComparison.Ordinal);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(10));
        Assert.False(connection.IsAlive);
        Assert.Same(e, connection.CloseReason);
    }

    [Fact]
    public async Task A_short_timeout_behind_a_long_one_still_fires_and_fails_both()
    {
        await using var node = new FakeKafkaServer();
        await using var connection = await BrokerConnection.ConnectAsync(node.Endpoint, Settings, default);

        var patient = Send(connection, "patient"); // the settings' 30 s
        var hasty = connection.SendAsync<MetadataRequest, MetadataResponse>(AskFor("hasty"), 12, TimeSpan.FromMilliseconds(300));

        var e = await Assert.ThrowsAsync<BrokerConnectionException>(() => hasty.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(WireErrorCode.RequestTimedOut, e.Code);
        // The stream is out of step once any answer is given up on, so the earlier request fails too.
        Assert.Same(e, await Assert.ThrowsAsync<BrokerConnectionException>(() => patient.WaitAsync(TimeSpan.FromSeconds(10))));
    }

    [Fact]
    public async Task The_node_closing_the_socket_fails_every_pending_request_and_later_ones()
    {
        const int Requests = 5;
        int arrived = 0;
        // Silent until the last request arrives, then closes: every request is pending when the socket dies.
        await using var node = new FakeKafkaServer(r =>
            r.ApiKey != (short)ApiKey.Metadata ? null : Interlocked.Increment(ref arrived) == Requests ? FakeReply.Close : FakeReply.Silence);
        await using var connection = await BrokerConnection.ConnectAsync(node.Endpoint, Settings, default);

        var sends = Enumerable.Range(0, Requests).Select(i => Send(connection, "t" + i)).ToArray();

        foreach (var send in sends)
        {
            var e = await Assert.ThrowsAsync<BrokerConnectionException>(() => send.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(WireErrorCode.NetworkException, e.Code);
            // An orderly end of stream ("closed the connection"), or a reset when the node closed with our bytes unread.
            Assert.Contains(node.Endpoint.ToString(), e.Message, StringComparison.Ordinal);
            Assert.Same(connection.CloseReason, e); // one reason, for all of them
        }
        await connection.Closed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(connection.IsAlive);
        var after = await Assert.ThrowsAsync<BrokerConnectionException>(() => Send(connection, "late"));
        Assert.Contains("is closed", after.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_frame_over_the_limit_is_refused_from_its_size_alone()
    {
        // A size prefix claiming a gigabyte, and no body: the connection must fail on the prefix, not
        // allocate a gigabyte and wait for bytes that never come.
        var prefix = new byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(prefix, 1_000_000_000);
        await using var node = new FakeKafkaServer(r => r.ApiKey == (short)ApiKey.Metadata ? FakeReply.Bytes(prefix) : null);
        await using var connection = await BrokerConnection.ConnectAsync(node.Endpoint, Settings with { MaxResponseSize = 4096 }, default);
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);

        var e = await Assert.ThrowsAsync<BrokerConnectionException>(() => Send(connection, "t").WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.Equal($"{node.Endpoint} sent a response frame of 1000000000 bytes (limit 4096)", e.Message);
        Assert.InRange(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore, 0, 100_000_000); // the whole process, tests in parallel included
        Assert.False(connection.IsAlive);
    }

    [Fact]
    public async Task Cancelling_stops_the_wait_and_the_late_answer_is_dropped_in_step()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var node = new FakeKafkaServer(async r =>
        {
            if (r.ApiKey != (short)ApiKey.Metadata) return null;
            if (r.Body<MetadataRequest>().Topics![0].Name == "slow") await release.Task;
            return Echo(r);
        });
        await using var connection = await BrokerConnection.ConnectAsync(node.Endpoint, Settings, default);

        using var cancel = new CancellationTokenSource();
        var slow = Send(connection, "slow", cancel.Token);
        var next = Send(connection, "next"); // behind it on the wire: answered only after it
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
        Assert.False(next.IsCompleted);

        release.SetResult();
        // The cancelled request's answer still arrives first and is discarded; the next one gets its own.
        Assert.Equal("next", Assert.Single((await next.WaitAsync(TimeSpan.FromSeconds(10))).Topics).Name);
        Assert.True(connection.IsAlive);
        Assert.Equal("again", Assert.Single((await Send(connection, "again").WaitAsync(TimeSpan.FromSeconds(10))).Topics).Name);
    }

    [Fact]
    public async Task A_cancelled_connect_throws_cancellation_not_a_connection_error()
    {
        await using var node = new FakeKafkaServer(r => FakeReply.Silence); // never answers ApiVersions
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => BrokerConnection.ConnectAsync(node.Endpoint, Settings, cancel.Token));
    }

    [Fact]
    public async Task A_node_that_does_not_answer_ApiVersions_in_time_fails_the_connect()
    {
        await using var node = new FakeKafkaServer(r => FakeReply.Silence);
        var e = await Assert.ThrowsAsync<BrokerConnectionException>(() =>
            BrokerConnection.ConnectAsync(node.Endpoint, Settings with { ConnectTimeout = TimeSpan.FromMilliseconds(300) }, default));
        Assert.Equal(WireErrorCode.NetworkException, e.Code);
        Assert.Contains("no answer within 300 ms", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Nothing_listening_fails_the_connect_with_a_network_error()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var e = await Assert.ThrowsAsync<BrokerConnectionException>(() => BrokerConnection.ConnectAsync(new BrokerEndpoint("127.0.0.1", port), Settings, default));
        Assert.Equal(WireErrorCode.NetworkException, e.Code);
        Assert.StartsWith($"connecting to 127.0.0.1:{port} failed", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_is_refused_by_the_decoding_send_because_its_records_live_in_the_frame()
    {
        await using var node = new FakeKafkaServer();
        await using var connection = await BrokerConnection.ConnectAsync(node.Endpoint, Settings, default);
        await Assert.ThrowsAsync<InvalidOperationException>(() => connection.SendAsync<FetchRequest, FetchResponse>(new FetchRequest(), 4));
        Assert.Equal([(short)ApiKey.ApiVersions], node.Received.Select(r => r.ApiKey)); // nothing sent
    }

    [Fact]
    public async Task A_raw_frame_answer_is_the_callers_to_decode_and_dispose()
    {
        await using var node = new FakeKafkaServer(r =>
            r.ApiKey != (short)ApiKey.Metadata ? null : r.Body<MetadataRequest>().Topics![0].Name == "fire-and-forget" ? FakeReply.Silence : Echo(r));
        await using var connection = await BrokerConnection.ConnectAsync(node.Endpoint, Settings, default);
        short version = connection.Versions.Highest(ApiKey.Metadata);

        using var frame = await connection.SendFrameAsync((short)ApiKey.Metadata, version, AskFor("raw"), expectResponse: true);

        Assert.Equal("raw", Assert.Single(frame!.Decode<MetadataResponse>((short)ApiKey.Metadata, version).Topics).Name);
        Assert.Null(await connection.SendFrameAsync((short)ApiKey.Metadata, version, AskFor("fire-and-forget"), expectResponse: false));
    }
}
