using Gregor.Broker.Dispatch;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Gregor.Broker.Tests.Network;

public sealed class ApiVersionsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public async Task Every_version_round_trips_and_lists_exactly_the_registered_handlers(short version)
    {
        await using var broker = await TestBroker.StartAsync(extraHandlers: new WaitingHandler());
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);
        await client.SendAsync(RawKafkaConnection.ApiVersionsFrame(version, 41));

        var (correlationId, body) = await client.ReceiveResponseAsync(headerVersion: 0); // always v0 for ApiVersions
        Assert.Equal(41, correlationId);
        var response = ApiVersionsResponse.Deserialize(body, version);
        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(0, response.ThrottleTimeMs);
        Assert.Empty(response.SupportedFeatures);
        Assert.Equal(-1, response.FinalizedFeaturesEpoch);

        var registered = broker.Host.Services.GetRequiredService<ApiHandlerRegistry>().Handlers
            .Select(h => ((short)h.Api, h.LowestVersion, h.HighestVersion)).ToList();
        var advertised = response.ApiKeys.Select(k => (k.ApiKey, k.MinVersion, k.MaxVersion)).ToList();
        Assert.Equal(registered, advertised);
        Assert.Contains(((short)18, (short)0, (short)4), advertised);
        Assert.Contains(((short)ApiKey.DescribeQuorum, (short)0, (short)2), advertised); // kafka-metadata-quorum describe
        Assert.Contains(((short)TestApis.Waiting, (short)0, (short)1), advertised);
    }

    [Theory]
    [InlineData(5)]
    [InlineData(99)]
    public async Task An_unknown_version_gets_unsupported_version_in_a_v0_response(short version)
    {
        await using var broker = await TestBroker.StartAsync();
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);
        await client.SendAsync(RawKafkaConnection.Frame(18, version, 7, [0, 0, 0]));

        var (correlationId, body) = await client.ReceiveResponseAsync(headerVersion: 0);
        Assert.Equal(7, correlationId);
        var response = ApiVersionsResponse.Deserialize(body, 0);
        Assert.Equal((short)ErrorCode.UnsupportedVersion, response.ErrorCode);
        var range = Assert.Single(response.ApiKeys);
        Assert.Equal((18, 0, 4), (range.ApiKey, range.MinVersion, range.MaxVersion));

        // The client then retries with a version it found there, on the same connection.
        await client.SendAsync(RawKafkaConnection.ApiVersionsFrame(4, 8));
        var retry = await client.ReceiveResponseAsync(headerVersion: 0);
        Assert.Equal(8, retry.CorrelationId);
        Assert.Equal(0, ApiVersionsResponse.Deserialize(retry.Body, 4).ErrorCode);
    }

    [Fact]
    public async Task A_v3_client_software_name_outside_kafkas_pattern_is_an_invalid_request()
    {
        await using var broker = await TestBroker.StartAsync();
        using var client = await RawKafkaConnection.ConnectAsync(broker.Port);
        var body = new ApiVersionsRequest { ClientSoftwareName = "bad name!", ClientSoftwareVersion = "1" }.Serialize(3);
        await client.SendAsync(RawKafkaConnection.Frame(18, 3, 1, body));

        var (_, responseBody) = await client.ReceiveResponseAsync(headerVersion: 0);
        var response = ApiVersionsResponse.Deserialize(responseBody, 3);
        Assert.Equal((short)ErrorCode.InvalidRequest, response.ErrorCode);
        Assert.Empty(response.ApiKeys);
    }
}
