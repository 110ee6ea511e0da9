using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Net;

/// <summary>
/// For each API, the highest version both this client's codecs and the broker support, taken
/// from the broker's ApiVersions answer. An API missing here must not be sent to that broker.
/// </summary>
public sealed class NegotiatedVersions
{
    private const int TableSize = 128;
    private readonly short[] _highest;

    private NegotiatedVersions(short[] highest) => _highest = highest;

    public static NegotiatedVersions From(ApiVersionsResponse response)
    {
        var highest = new short[TableSize];
        Array.Fill(highest, (short)-1);
        foreach (var api in response.ApiKeys)
        {
            if (api.ApiKey < 0 || api.ApiKey >= TableSize) continue;
            if (RequestFraming.RequestDescriptor(api.ApiKey) is not { } ours) continue;
            short low = Math.Max(ours.LowestVersion, api.MinVersion);
            short high = Math.Min(ours.HighestVersion, api.MaxVersion);
            if (low <= high) highest[api.ApiKey] = high;
        }
        return new NegotiatedVersions(highest);
    }

    public bool TryGetHighest(ApiKey api, out short version)
    {
        int key = (int)api;
        version = key is >= 0 and < TableSize ? _highest[key] : (short)-1;
        return version >= 0;
    }

    /// <summary>The version to speak, capped at <paramref name="atMost"/> for callers that only understand older versions.</summary>
    public short Highest(ApiKey api, short atMost = short.MaxValue)
    {
        if (!TryGetHighest(api, out short version))
            throw new BrokerApiUnsupportedException(api);
        return Math.Min(version, atMost);
    }
}

/// <summary>The broker does not support any version of an API that this client can speak.</summary>
public sealed class BrokerApiUnsupportedException(ApiKey api)
    : NotSupportedException($"the broker supports no version of {api} that this client speaks")
{
    public ApiKey Api { get; } = api;
}
