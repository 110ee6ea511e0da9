using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Tests.Network;

/// <summary>A plain socket speaking just enough of the framing to test the broker's connection handling.</summary>
internal sealed class RawKafkaConnection : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly Socket _socket;

    private RawKafkaConnection(Socket socket) => _socket = socket;

    /// <summary>Connects to the broker on 127.0.0.1, from <paramref name="from"/> (another loopback address, e.g. 127.0.0.2) when given.</summary>
    /// <param name="receiveBufferBytes">A fixed socket receive buffer (no autotuning), so a client that stops reading stops the broker sooner.</param>
    public static async Task<RawKafkaConnection> ConnectAsync(int port, int receiveBufferBytes = 0, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes > 0) socket.ReceiveBufferSize = receiveBufferBytes;
        if (from is not null) socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new RawKafkaConnection(socket);
    }

    /// <summary>True when an ApiVersions request on this connection is answered (false when the broker closed it instead).</summary>
    public async Task<bool> IsServedAsync(int correlationId = 1)
    {
        try
        {
            await SendAsync(ApiVersionsFrame(3, correlationId));
            return await ReceiveAsync() is not null;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>A big-endian int32: a size prefix on its own, or a test handler's body.</summary>
    public static byte[] Int32(int value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>A whole request frame (size prefix, header in the version the API implies, body).</summary>
    public static byte[] Frame(short apiKey, short version, int correlationId, byte[] body, string? clientId = "test-client")
    {
        short headerVersion = RequestFraming.RequestHeaderVersion(apiKey, version);
        if (!RequestFraming.IsSupported(apiKey, version)) headerVersion = 1;
        var header = new RequestHeader { RequestApiKey = apiKey, RequestApiVersion = version, CorrelationId = correlationId, ClientId = clientId };
        byte[] headerBytes = header.Serialize(headerVersion);
        var frame = new byte[4 + headerBytes.Length + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, headerBytes.Length + body.Length);
        headerBytes.CopyTo(frame, 4);
        body.CopyTo(frame, 4 + headerBytes.Length);
        return frame;
    }

    public static byte[] ApiVersionsFrame(short version, int correlationId) =>
        Frame(18, version, correlationId, version is >= 0 and <= 4
            ? new ApiVersionsRequest { ClientSoftwareName = "gregor-tests", ClientSoftwareVersion = "1.0" }.Serialize(version)
            : []);

    public async Task SendAsync(byte[] bytes) => await _socket.SendAsync(bytes.AsMemory(), SocketFlags.None).AsTask().WaitAsync(Patience);

    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>One response frame's payload (header and body), or null if the broker closed the connection.</summary>
    public async Task<byte[]?> ReceiveAsync()
    {
        var prefix = new byte[4];
        if (!await ReadExactlyAsync(prefix)) return null;
        var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        return await ReadExactlyAsync(payload) ? payload : null;
    }

    /// <summary>Reads one response and returns its correlation id and body.</summary>
    public async Task<(int CorrelationId, byte[] Body)> ReceiveResponseAsync(short headerVersion)
    {
        byte[] payload = await ReceiveAsync() ?? throw new InvalidOperationException("the broker closed the connection");
        var header = ResponseHeader.Deserialize(payload.AsMemory(0, headerVersion == 0 ? 4 : 5), headerVersion);
        return (header.CorrelationId, payload[(headerVersion == 0 ? 4 : 5)..]);
    }

    /// <summary>True when the broker has closed the connection (end of stream or reset) within the patience.</summary>
    public async Task<bool> IsClosedByBrokerAsync(TimeSpan? within = null)
    {
        var buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(within ?? Patience);
        try
        {
            while (true)
            {
                int n = await _socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
                if (n == 0) return true;
            }
        }
        catch (SocketException)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads one response frame into <paramref name="into"/> a chunk at a time with a pause between chunks, as a slow
    /// client does; returns the frame's size (prefix included).
    /// </summary>
    public async Task<int> ReceiveSlowlyAsync(byte[] into, int chunk, TimeSpan pause, Func<int, Task>? afterFirstChunk = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int read = 0, size = int.MaxValue;
        while (read < size)
        {
            int want = Math.Min(chunk, (read < 4 ? 4 : size) - read);
            int n = await _socket.ReceiveAsync(into.AsMemory(read, want), SocketFlags.None, timeout.Token);
            if (n == 0) throw new IOException($"the broker closed the connection after {read} bytes");
            read += n;
            if (read >= 4 && size == int.MaxValue)
                size = 4 + BinaryPrimitives.ReadInt32BigEndian(into);
            if (afterFirstChunk is not null && read >= chunk)
            {
                await afterFirstChunk(read);
                afterFirstChunk = null;
            }
            await Task.Delay(pause);
        }
        return size;
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(Patience);
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    public void Dispose() => _socket.Dispose();
}
