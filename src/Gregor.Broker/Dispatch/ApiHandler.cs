using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Broker.Dispatch;

/// <summary>
/// The typed base of every handler: decoding the request with its generated codec is done here
/// once, within the request's element budget (<c>max.request.partitions</c>), so a handler only
/// sees a decoded request of a version it advertised and of a size the broker serves.
/// </summary>
public abstract class ApiHandler<TRequest, TResponse> : IApiHandler
    where TRequest : IProtocolMessage<TRequest>
    where TResponse : class, IProtocolStruct
{
    public abstract ApiKey Api { get; }

    public virtual short LowestVersion => TRequest.LowestVersion;

    public virtual short HighestVersion => TRequest.HighestVersion;

    public async ValueTask<IProtocolStruct?> HandleAsync(RequestContext context, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        TRequest request = Decode(body, context.ApiVersion, context.MaxRequestPartitions);
        return await HandleAsync(context, request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>By default, a response with only its top-level error code set, where the version has one (Fetch v7+, JoinGroup, ...).</summary>
    public virtual IProtocolStruct? RefusalResponse(short version, ErrorCode error) => TopLevelErrorResponse<TResponse>.Create(version, error);

    private static TRequest Decode(ReadOnlyMemory<byte> body, short version, int maxElements)
    {
        var reader = new ProtocolReader(body, maxElements);
        // Bytes after a complete body are ignored, as Kafka's request parsing ignores them: librdkafka 2.16 sends
        // its all-topics Metadata v12 request with three bytes more than the body, and Kafka answers it.
        return TRequest.Read(ref reader, version);
    }

    /// <summary>Handles a decoded request. Null means no response is sent.</summary>
    protected abstract ValueTask<TResponse?> HandleAsync(RequestContext context, TRequest request, CancellationToken cancellationToken);
}
