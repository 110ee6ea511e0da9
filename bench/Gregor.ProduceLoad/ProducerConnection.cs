using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gregor.Protocol.Messages;

namespace Gregor.ProduceLoad;

/// <summary>
/// One connection sending pre-built Produce frames with up to <c>inFlight</c> requests outstanding (librdkafka's
/// max.in.flight), reading and checking every response: any partition error stops the run.
/// </summary>
internal sealed class ProducerConnection : IDisposable
{
    private readonly Socket _socket;
    private readonly SemaphoreSlim _window;

    private ProducerConnection(Socket socket, int inFlight)
    {
        _socket = socket;
        _window = new SemaphoreSlim(inFlight, inFlight);
    }

    public static async Task<ProducerConnection> ConnectAsync(IPEndPoint broker, int inFlight)
    {
        var socket = new Socket(broker.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(broker).ConfigureAwait(false);
        return new ProducerConnection(socket, inFlight);
    }

    /// <summary>Sends <paramref name="frames"/> in order (each once) and returns when every response has been read.</summary>
    public async Task RunAsync(IReadOnlyList<byte[]> frames, CancellationToken cancellationToken)
    {
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task reading = ReadResponsesAsync(frames.Count, failed);
        try
        {
            for (int i = 0; i < frames.Count; i++)
            {
                await _window.WaitAsync(failed.Token).ConfigureAwait(false);
                byte[] frame = frames[i];
                BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(ProduceFrames.CorrelationIdOffset), i);
                await _socket.SendAsync(frame, SocketFlags.None, failed.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (reading.IsFaulted)
        {
            // The reader found the reason; it is thrown below.
        }
        await reading.ConfigureAwait(false);
    }

    private async Task ReadResponsesAsync(int expected, CancellationTokenSource failed)
    {
        var prefix = new byte[4];
        byte[] payload = new byte[1024];
        try
        {
            for (int i = 0; i < expected; i++)
            {
                await ReadExactlyAsync(prefix, failed.Token).ConfigureAwait(false);
                int size = BinaryPrimitives.ReadInt32BigEndian(prefix);
                if (size < 4 || size > 64 << 20) throw new InvalidDataException($"response size {size}");
                if (payload.Length < size) payload = new byte[size];
                await ReadExactlyAsync(payload.AsMemory(0, size), failed.Token).ConfigureAwait(false);
                int correlationId = BinaryPrimitives.ReadInt32BigEndian(payload);
                if (correlationId != i) throw new InvalidDataException($"response {correlationId} where {i} was due");
                var response = ProduceResponse.Deserialize(payload.AsMemory(4, size - 4), ProduceFrames.Version);
                foreach (var topic in response.Responses)
                {
                    foreach (var partition in topic.PartitionResponses)
                    {
                        if (partition.ErrorCode != 0)
                            throw new InvalidDataException($"{topic.Name}-{partition.Index}: error {partition.ErrorCode} {partition.ErrorMessage}");
                    }
                }
                _window.Release();
            }
        }
        catch
        {
            await failed.CancelAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task ReadExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0) throw new EndOfStreamException("the broker closed the connection");
            buffer = buffer[read..];
        }
    }

    public void Dispose()
    {
        _socket.Dispose();
        _window.Dispose();
    }
}
