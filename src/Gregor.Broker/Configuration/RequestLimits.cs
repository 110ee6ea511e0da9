namespace Gregor.Broker.Configuration;

/// <summary>Fixed bounds of the request framing that settings may not go below.</summary>
public static class RequestLimits
{
    /// <summary>
    /// The smallest request frame: request header v1 with a null client id (api key, api version,
    /// correlation id, client id length). Anything shorter cannot even be answered.
    /// </summary>
    public const int MinimumFrameBytes = 2 + 2 + 4 + 2;
}
