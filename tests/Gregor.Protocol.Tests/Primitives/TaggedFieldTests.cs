using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Tests.Primitives;

/// <summary>Tagged fields: known ones read, unknown ones skipped, defaults left out when writing.</summary>
public sealed class TaggedFieldTests
{
    [Fact]
    public void Unknown_tagged_fields_are_skipped()
    {
        var response = new ApiVersionsResponse { ErrorCode = 0, ThrottleTimeMs = 5 };
        response.ApiKeys.Add(new ApiVersionsResponse.ApiVersion { ApiKey = 18, MinVersion = 0, MaxVersion = 4 });
        byte[] known = response.Serialize(3);
        Assert.Equal(0, known[^1]); // no tagged fields: every one is at its default

        // Replace the empty tag section with one holding an unknown tag 9 of 3 bytes and tag 1 (FinalizedFeaturesEpoch).
        byte[] withUnknown = [.. known[..^1], 2, 1, 8, 0, 0, 0, 0, 0, 0, 0, 42, 9, 3, 0xAA, 0xBB, 0xCC];
        var decoded = ApiVersionsResponse.Deserialize(withUnknown, 3);
        Assert.Equal(42, decoded.FinalizedFeaturesEpoch);
        Assert.Equal(5, decoded.ThrottleTimeMs);
        Assert.Single(decoded.ApiKeys);
    }

    [Theory]
    [InlineData("02" + "0108000000000000002A" + "0108000000000000002B", "repeated")]
    [InlineData("02" + "0903AABBCC" + "0108000000000000002A", "descending")]
    public void Tags_that_do_not_rise_are_malformed(string section, string what)
    {
        // KIP-482 orders tags strictly; a repeat would also let one struct allocate its tagged values again and again.
        byte[] bytes = new ApiVersionsResponse().Serialize(3);
        byte[] sent = [.. bytes[..^1], .. Convert.FromHexString(section)];
        var ex = Assert.Throws<MalformedMessageException>(() => ApiVersionsResponse.Deserialize(sent, 3));
        Assert.Contains("ascending", ex.Message, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(what));
    }

    [Fact]
    public void A_tagged_field_whose_size_lies_is_malformed()
    {
        var response = new ApiVersionsResponse();
        byte[] bytes = response.Serialize(3);
        byte[] lying = [.. bytes[..^1], 1, 1, 4, 0, 0, 0, 0, 0, 0, 0, 42];
        Assert.Throws<MalformedMessageException>(() => ApiVersionsResponse.Deserialize(lying, 3));
    }

    [Fact]
    public void Request_header_v2_keeps_the_client_id_a_classic_string()
    {
        var header = new RequestHeader { RequestApiKey = 18, RequestApiVersion = 3, CorrelationId = 7, ClientId = "kc" };
        Assert.Equal("001200030000000700026B6300", Convert.ToHexString(header.Serialize(2)));
        Assert.Equal("0012000300000007", Convert.ToHexString(header.Serialize(0)));
    }

    [Fact]
    public void Header_versions_follow_the_api_version()
    {
        Assert.Equal(2, RequestFraming.RequestHeaderVersion((short)ApiKey.ApiVersions, 3));
        Assert.Equal(1, RequestFraming.RequestHeaderVersion((short)ApiKey.ApiVersions, 2));
        Assert.Equal(0, RequestFraming.ResponseHeaderVersion((short)ApiKey.ApiVersions, 3));
        Assert.False(RequestFraming.IsSupported((short)ApiKey.ApiVersions, 5));
        Assert.False(RequestFraming.IsSupported(999, 0));
    }
}
