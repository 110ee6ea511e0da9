using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Net.Tests;

public sealed class BrokerConnectionTests
{
    private static ApiVersionsResponse Versions(params (ApiKey Key, short Min, short Max)[] apis) => FakeKafkaServer.Advertise(apis);

    // Requests that are answered get a long timeout, so that a loaded machine cannot turn an answer into
    // a timeout; only the test of the timeout itself uses a short one.
    private static readonly ConnectionSettings Settings = new() { RequestTimeout = TimeSpan.FromSeconds(30), ConnectTimeout = TimeSpan.FromSeconds(5) };

    [Fact]
    public async Task ApiVersions_falls_back_to_v0_and_each_api_gets_the_highest_common_version()
    {
        await using var broker = new FakeKafkaServer(r =>
        {
            if (r.ApiKey != (short)ApiKey.ApiVersions) return null;
            if (r.Version > 0) // an old broker: it knows ApiVersions v0 only
                return FakeReply.Answer(new ApiVersionsResponse { ErrorCode = (short)Gregor.Protocol.ErrorCode.UnsupportedVersion, ApiKeys = [new() { ApiKey = 18, MinVersion = 0, MaxVersion = 0 }] }, version: 0);
            return FakeReply.Answer(Versions((ApiKey.ApiVersions, 0, 0), (ApiKey.Produce, 3, 7), (ApiKey.Metadata, 0, 99), (ApiKey.Fetch, 100, 120)));
        });
        await using var connection = await BrokerConnection.ConnectAsync(broker.Endpoint, Settings, default);

        Assert.Equal([(18, 3), (18, 0)], broker.Received.Select(r => ((int)r.ApiKey, (int)r.Version)));
        Assert.Equal(7, connection.Versions.Highest(ApiKey.Produce));
        Assert.Equal(MetadataRequest.HighestSupportedVersion, connection.Versions.Highest(ApiKey.Metadata));
        Assert.False(connection.Versions.TryGetHighest(ApiKey.Fetch, out _)); // no overlap
        Assert.False(connection.Versions.TryGetHighest(ApiKey.CreateTopics, out _)); // not advertised
        await Assert.ThrowsAsync<BrokerApiUnsupportedException>(() => connection.SendAsync<CreateTopicsRequest, CreateTopicsResponse>(new CreateTopicsRequest(), 5));
    }

    [Fact]
    public async Task Pipelined_requests_get_their_own_responses_in_order()
    {
        await using var broker = new FakeKafkaServer(r => r.ApiKey == (short)ApiKey.Metadata
            ? FakeReply.Answer(new MetadataResponse { ClusterId = "c" + r.CorrelationId, ControllerId = r.CorrelationId })
            : null);
        await using var connection = await BrokerConnection.ConnectAsync(broker.Endpoint, Settings, default);
        var responses = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ =>
            connection.SendAsync<MetadataRequest, MetadataResponse>(new MetadataRequest { Topics = [] }, 12)));
        Assert.Equal(50, responses.Select(r => r.ControllerId).Distinct().Count());
        Assert.All(responses, r => Assert.Equal("c" + r.ControllerId, r.ClusterId));
    }

    [Fact]
    public async Task An_unanswered_request_times_out_and_closes_the_connection()
    {
        await using var broker = new FakeKafkaServer();
        await using var connection = await BrokerConnection.ConnectAsync(broker.Endpoint, Settings with { RequestTimeout = TimeSpan.FromMilliseconds(500) }, default);
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<BrokerConnectionException>(() => connection.SendAsync<MetadataRequest, MetadataResponse>(new MetadataRequest { Topics = [] }, 12));
        Assert.Equal(Gregor.Protocol.ErrorCode.RequestTimedOut, e.Code);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(450), TimeSpan.FromSeconds(10));
        Assert.False(connection.IsAlive);
    }

    [Fact]
    public async Task A_response_over_the_size_limit_or_for_the_wrong_request_breaks_the_connection()
    {
        await using var liar = new FakeKafkaServer(r => r.ApiKey == (short)ApiKey.Metadata ? FakeReply.Raw(r.CorrelationId + 1, [0, 0, 0, 0]) : null);
        await using (var connection = await BrokerConnection.ConnectAsync(liar.Endpoint, Settings, default))
        {
            var e = await Assert.ThrowsAsync<BrokerConnectionException>(() => connection.SendAsync<MetadataRequest, MetadataResponse>(new MetadataRequest { Topics = [] }, 12));
            Assert.Contains("correlation id", e.Message, StringComparison.Ordinal);
        }
        await using var huge = new FakeKafkaServer(r => r.ApiKey == (short)ApiKey.Metadata ? FakeReply.Raw(r.CorrelationId, new byte[5000]) : null);
        await using var limited = await BrokerConnection.ConnectAsync(huge.Endpoint, Settings with { MaxResponseSize = 4096 }, default);
        var tooBig = await Assert.ThrowsAsync<BrokerConnectionException>(() => limited.SendAsync<MetadataRequest, MetadataResponse>(new MetadataRequest { Topics = [] }, 12));
        Assert.Contains("limit 4096", tooBig.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pool_backs_off_between_failed_attempts()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        await using var pool = new ConnectionPool(Settings with { ReconnectBackoff = TimeSpan.FromMilliseconds(200), ReconnectBackoffMax = TimeSpan.FromMilliseconds(400) });
        var endpoint = new BrokerEndpoint("127.0.0.1", port);
        // Timed from before the first attempt: the backoff starts when it fails, which the test cannot see exactly,
        // and on a busy machine the failure may reach the test well after that.
        var started = DateTime.UtcNow;
        await Assert.ThrowsAsync<BrokerConnectionException>(() => pool.GetAsync(endpoint));
        await Assert.ThrowsAsync<BrokerConnectionException>(() => pool.GetAsync(endpoint));
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(150), TimeSpan.FromSeconds(5)); // 200 ms ± 20% jitter
    }

    [Theory]
    [InlineData("localhost:9093", "localhost", 9093)]
    [InlineData("PLAINTEXT://10.0.0.1:19092", "10.0.0.1", 19092)]
    [InlineData("[::1]:9094", "::1", 9094)]
    [InlineData("broker", "broker", 9092)]
    public void Endpoints_parse(string text, string host, int port) => Assert.Equal(new BrokerEndpoint(host, port), BrokerEndpoint.Parse(text));

    [Theory]
    [InlineData("host:0")]
    [InlineData("host:x")]
    [InlineData(":9092")]
    [InlineData("[::1")]
    public void Bad_endpoints_are_refused(string text) => Assert.Throws<ArgumentException>(() => BrokerEndpoint.Parse(text));
}
