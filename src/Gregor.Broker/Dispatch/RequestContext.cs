using System.Net;
using Gregor.Broker.Configuration;
using Gregor.Protocol;

namespace Gregor.Broker.Dispatch;

/// <summary>
/// What a handler knows about the request besides its body: who sent it, on which connection,
/// in which version. Resources a response borrows (pooled log reads whose bytes the response
/// points at) are registered here and released once the response has been written.
/// </summary>
public sealed class RequestContext
{
    private List<IDisposable>? _releaseAfterResponse;

    public RequestContext(ApiKey api, short apiVersion, int correlationId, string? clientId, EndPoint? peer, long connectionId, Memory<byte> frame)
    {
        Api = api;
        ApiVersion = apiVersion;
        CorrelationId = correlationId;
        ClientId = clientId;
        Peer = peer;
        ConnectionId = connectionId;
        Frame = frame;
    }

    public ApiKey Api { get; }

    public short ApiVersion { get; }

    public int CorrelationId { get; }

    public string? ClientId { get; }

    public EndPoint? Peer { get; }

    public long ConnectionId { get; }

    /// <summary>
    /// The element budget the request is decoded with (<c>max.request.partitions</c>): the connection
    /// sets the broker's; a context made without one gets the default.
    /// </summary>
    public int MaxRequestPartitions { get; init; } = RequestLimits.DefaultMaxRequestPartitions;

    /// <summary>The request came in on a controller listener (<c>controller.listener.names</c>): from another node, or an admin tool asking controllers.</summary>
    public bool OnControllerListener { get; init; }

    /// <summary>
    /// The whole request frame, owned by this request until its response is written. Records
    /// fields of the decoded request are slices of it, so Produce may rewrite batch headers in
    /// place (offsets, timestamps) without copying.
    /// </summary>
    public Memory<byte> Frame { get; }

    /// <summary>
    /// Bytes of the response's records fields that are <see cref="Gregor.Protocol.Records.DeferredRecords"/> (a fetch's
    /// file regions): the response writer encodes the rest and copies these from their sources while sending.
    /// </summary>
    public long DeferredResponseBytes { get; set; }

    /// <summary>Releases <paramref name="resource"/> after the response has been written (or the connection dropped).</summary>
    public void ReleaseAfterResponse(IDisposable resource) => (_releaseAfterResponse ??= new List<IDisposable>()).Add(resource);

    /// <summary>Called by the connection once, after the response is written or abandoned.</summary>
    public void ReleaseResources()
    {
        if (_releaseAfterResponse is null) return;
        foreach (var r in _releaseAfterResponse) r.Dispose();
        _releaseAfterResponse = null;
    }
}
