using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;

namespace Gregor.Broker.Network;

/// <summary>
/// Writes one response: the size prefix, the response header and the body. A small response is sized, then encoded
/// straight into the connection's output buffer. A large one, or one whose records stay in their files (a fetch), is
/// encoded without those records into a pooled buffer and sent a chunk at a time, the records copied from their
/// sources into the output between the encoded parts, flushed every <see cref="FlushEveryBytes"/>; every flush waits for
/// the transport to take what came before, so a response never needs memory for all its bytes and a client that reads
/// slowly only slows its own response.
/// </summary>
internal sealed class ResponseWriter
{
    /// <summary>Responses up to this many bytes (with no deferred records) are encoded in place, in one flush.</summary>
    internal const int InPlaceLimit = 64 * 1024;

    private readonly PipeWriter _output;
    private readonly WriteDeadline _deadline;
    private readonly ResponseHeader _header = new(); // reused: one response at a time per connection
    private readonly DeferredRecordsList _deferred = new();
    private int _unflushed; // bytes advanced since the last flush

    /// <summary>A chunked response is flushed each time this much of it is waiting in large blocks.</summary>
    internal const int FlushEveryBytes = 1024 * 1024;

    public ResponseWriter(PipeWriter output, WriteDeadline deadline)
    {
        _output = output;
        _deadline = deadline;
    }

    /// <summary>
    /// Writes and flushes; false when the peer has gone and nothing more can be sent. <paramref name="deferredBytes"/>
    /// is how many of the body's record bytes are <see cref="DeferredRecords"/> (see RequestContext.DeferredResponseBytes).
    /// </summary>
    public ValueTask<bool> WriteAsync(int correlationId, short headerVersion, IProtocolStruct body, short version, long deferredBytes, CancellationToken cancellationToken)
    {
        _header.CorrelationId = correlationId;
        long payload = (long)_header.Size(headerVersion) + body.Size(version);
        if (payload > int.MaxValue - 4)
            throw new InvalidOperationException($"a {payload}-byte response cannot be framed");
        int total = 4 + (int)payload;
        if (deferredBytes == 0 && total <= InPlaceLimit)
        {
            EncodeInPlace(total, headerVersion, body, version);
            return FlushAsync(cancellationToken);
        }
        return WriteInChunksAsync(total, headerVersion, body, version, deferredBytes, cancellationToken);
    }

    private void EncodeInPlace(int total, short headerVersion, IProtocolStruct body, short version)
    {
        Span<byte> span = _output.GetSpan(total)[..total];
        int written = Encode(span, new ProtocolWriter(span[4..]), headerVersion, body, version);
        if (written != total)
            throw new InvalidOperationException($"{body.GetType().Name} v{version} sized {total} bytes but wrote {written}");
        _output.Advance(total);
    }

    private async ValueTask<bool> WriteInChunksAsync(int total, short headerVersion, IProtocolStruct body, short version, long deferredBytes, CancellationToken cancellationToken)
    {
        if (deferredBytes < 0 || deferredBytes > total - 4)
            throw new InvalidOperationException($"{deferredBytes} deferred record bytes do not fit a {total}-byte response");
        int inline = total - (int)deferredBytes;
        byte[] encoded = ArrayPool<byte>.Shared.Rent(inline);
        _deferred.Clear();
        try
        {
            EncodeWithoutDeferred(encoded.AsSpan(0, inline), total, headerVersion, body, version, deferredBytes);
            int sent = 0;
            for (int index = 0; index < _deferred.Count; index++)
            {
                DeferredRecordsList.Entry entry = _deferred[index];
                int at = 4 + entry.Position; // entry positions count from the end of the size prefix
                if (!await SendAsync(encoded.AsMemory(sent, at - sent), cancellationToken).ConfigureAwait(false))
                    return false;
                if (!await SendAsync(entry, cancellationToken).ConfigureAwait(false))
                    return false;
                sent = at;
            }
            return await SendAsync(encoded.AsMemory(sent, inline - sent), cancellationToken).ConfigureAwait(false)
                && (_unflushed == 0 || await FlushAsync(cancellationToken).ConfigureAwait(false));
        }
        finally
        {
            _deferred.Clear();
            ArrayPool<byte>.Shared.Return(encoded);
        }
    }

    private void EncodeWithoutDeferred(Span<byte> span, int total, short headerVersion, IProtocolStruct body, short version, long deferredBytes)
    {
        int written = Encode(span, new ProtocolWriter(span[4..], _deferred), headerVersion, body, version, total);
        if (written != span.Length || _deferred.TotalBytes != deferredBytes)
        {
            throw new InvalidOperationException(
                $"{body.GetType().Name} v{version} sized {total} bytes with {deferredBytes} deferred but wrote {written} inline and deferred {_deferred.TotalBytes}");
        }
    }

    /// <summary>Writes the size prefix, header and body; returns the bytes the span holds now (prefix included).</summary>
    private int Encode(Span<byte> span, ProtocolWriter writer, short headerVersion, IProtocolStruct body, short version, int total = -1)
    {
        BinaryPrimitives.WriteInt32BigEndian(span, (total < 0 ? span.Length : total) - 4);
        _header.Write(ref writer, headerVersion);
        body.Write(ref writer, version);
        return 4 + writer.Position;
    }

    /// <summary>Copies encoded bytes into the output's blocks.</summary>
    private async ValueTask<bool> SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            Memory<byte> block = _output.GetMemory();
            int step = Math.Min(block.Length, bytes.Length);
            bytes.Span[..step].CopyTo(block.Span);
            bytes = bytes[step..];
            if (!await AdvanceAsync(step, block.Length, cancellationToken).ConfigureAwait(false))
                return false;
        }
        return true;
    }

    /// <summary>Copies deferred records from their source straight into the output's blocks.</summary>
    private async ValueTask<bool> SendAsync(DeferredRecordsList.Entry entry, CancellationToken cancellationToken)
    {
        int copied = 0;
        while (copied < entry.Length)
        {
            Memory<byte> block = _output.GetMemory();
            int step = Math.Min(block.Length, entry.Length - copied);
            int read = entry.Source.CopyTo(block.Span[..step], entry.Start + copied);
            if (read <= 0)
                throw new ResponseCutShortException($"records ended after {copied} of the {entry.Length} bytes promised (the log was truncated under the response)");
            copied += read;
            if (!await AdvanceAsync(read, block.Length, cancellationToken).ConfigureAwait(false))
                return false;
        }
        return true;
    }

    /// <summary>
    /// Commits <paramref name="count"/> bytes written into a block of <paramref name="blockLength"/> and flushes once
    /// <see cref="FlushEveryBytes"/> are waiting, or at once when the block is a small one. Flushing every block, and
    /// after every partition's few header bytes, woke the socket for each and cost a fifth more CPU per GB served; the
    /// large blocks come from the transport's bounded pool, so what waits unflushed is bounded broker-wide too.
    /// </summary>
    private ValueTask<bool> AdvanceAsync(int count, int blockLength, CancellationToken cancellationToken)
    {
        _output.Advance(count);
        _unflushed += count;
        if (blockLength > ReceiveBufferPool.SmallBlockSize && _unflushed < FlushEveryBytes)
            return ValueTask.FromResult(true);
        return FlushAsync(cancellationToken);
    }

    /// <summary>Every flush goes through the connection's write deadline (socket.write.timeout.ms).</summary>
    private ValueTask<bool> FlushAsync(CancellationToken cancellationToken)
    {
        _unflushed = 0;
        return _deadline.FlushAsync(_output, cancellationToken);
    }
}
