using System.Buffers.Binary;
using System.IO.Pipelines;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Broker.Network;

/// <summary>
/// Writes one response: the size prefix, the response header and the body, sized first and then
/// encoded straight into the connection's output buffer (no intermediate array).
/// </summary>
internal sealed class ResponseWriter
{
    private readonly PipeWriter _output;
    private readonly WriteDeadline _deadline;
    private readonly ResponseHeader _header = new(); // reused: one response at a time per connection

    public ResponseWriter(PipeWriter output, WriteDeadline deadline)
    {
        _output = output;
        _deadline = deadline;
    }

    /// <summary>Writes and flushes; false when the peer has gone and nothing more can be sent.</summary>
    public ValueTask<bool> WriteAsync(int correlationId, short headerVersion, IProtocolStruct body, short version, CancellationToken cancellationToken)
    {
        Encode(correlationId, headerVersion, body, version);
        return FlushAsync(cancellationToken);
    }

    /// <summary>Every flush goes through the connection's write deadline (socket.write.timeout.ms).</summary>
    private ValueTask<bool> FlushAsync(CancellationToken cancellationToken) => _deadline.FlushAsync(_output, cancellationToken);

    private void Encode(int correlationId, short headerVersion, IProtocolStruct body, short version)
    {
        _header.CorrelationId = correlationId;
        long payload = (long)_header.Size(headerVersion) + body.Size(version);
        if (payload > int.MaxValue - 4)
            throw new InvalidOperationException($"a {payload}-byte response cannot be framed");
        int total = 4 + (int)payload;
        Span<byte> span = _output.GetSpan(total)[..total];
        BinaryPrimitives.WriteInt32BigEndian(span, (int)payload);
        var writer = new ProtocolWriter(span[4..]);
        _header.Write(ref writer, headerVersion);
        body.Write(ref writer, version);
        if (writer.Position != payload)
            throw new InvalidOperationException($"{body.GetType().Name} v{version} sized {payload} bytes but wrote {writer.Position}");
        _output.Advance(total);
    }
}
