namespace Gregor.Broker.Configuration;

/// <summary>Fixed bounds of the request framing that settings may not go below, and the defaults of the request caps.</summary>
public static class RequestLimits
{
    /// <summary>
    /// The default of <c>max.request.partitions</c>. A request spans the partitions one broker leads
    /// (Produce, Fetch, ListOffsets) or one group's (OffsetCommit, OffsetFetch): Kafka advises a few
    /// thousand partitions per broker, and Gregor aims at 100,000 on one node; twice that is beyond
    /// any real client, yet it bounds what one request can make the broker decode and answer.
    /// </summary>
    public const int DefaultMaxRequestPartitions = 200_000;

    /// <summary>
    /// The smallest request frame: request header v1 with a null client id (api key, api version,
    /// correlation id, client id length). Anything shorter cannot even be answered.
    /// </summary>
    public const int MinimumFrameBytes = 2 + 2 + 4 + 2;
}
