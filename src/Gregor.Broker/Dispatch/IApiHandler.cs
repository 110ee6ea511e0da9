using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Dispatch;

/// <summary>
/// One Kafka API. The dispatcher finds the handler by API key, and ApiVersions advertises exactly
/// the version range of the registered handlers — nothing is advertised that no handler serves.
/// </summary>
public interface IApiHandler
{
    ApiKey Api { get; }

    short LowestVersion { get; }

    short HighestVersion { get; }

    /// <summary>
    /// Decodes the body (the reader's position is just past the request header), handles it,
    /// and returns the response, or null when the request wants none (Produce with acks=0).
    /// </summary>
    ValueTask<IProtocolStruct?> HandleAsync(RequestContext context, ReadOnlyMemory<byte> body, CancellationToken cancellationToken);

    /// <summary>
    /// The answer to a request that could not be decoded because it fans out past the broker's cap:
    /// a response of <paramref name="version"/> carrying <paramref name="error"/> in a top-level error
    /// code, or null when that version's response has none (the connection is then closed).
    /// </summary>
    IProtocolStruct? RefusalResponse(short version, ErrorCode error) => null;
}
