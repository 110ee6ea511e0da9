using System.Buffers;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Net;

/// <summary>
/// One response as received: a pooled buffer holding the response header and body. The body's
/// decoded records (Fetch) are slices of this buffer, so it is returned to the pool only when
/// the owner disposes the frame.
/// </summary>
public sealed class ResponseFrame : IDisposable
{
    private byte[]? _buffer;
    private readonly int _length;

    internal ResponseFrame(byte[] buffer, int length)
    {
        _buffer = buffer;
        _length = length;
    }

    /// <summary>The whole frame after the size prefix: header, then body.</summary>
    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(ResponseFrame))).AsMemory(0, _length);

    /// <summary>Decodes the body of a response to <paramref name="apiKey"/> at <paramref name="version"/>.</summary>
    public TResponse Decode<TResponse>(short apiKey, short version) where TResponse : IProtocolMessage<TResponse>
    {
        var reader = new ProtocolReader(Memory);
        ResponseHeader.Read(ref reader, RequestFraming.ResponseHeaderVersion(apiKey, version));
        var response = TResponse.Read(ref reader, version);
        if (reader.Remaining != 0)
            throw new MalformedMessageException($"{reader.Remaining} bytes left over after {typeof(TResponse).Name} v{version}");
        return response;
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
    }
}
