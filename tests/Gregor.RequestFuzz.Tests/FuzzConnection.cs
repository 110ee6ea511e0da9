using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gregor.RequestFuzz.Tests;

/// <summary>What became of one request: a response (its correlation id and size), the broker closing, or nothing in time.</summary>
internal enum Outcome
{
    Answered,
    Closed,
    NoAnswer,
}

internal readonly record struct Exchange(Outcome Outcome, int CorrelationId, byte[]? Response);

/// <summary>
/// A client socket for the fuzzer: sends whatever bytes it is given and waits a bounded time for one response
/// frame. Never throws for what the broker does (closing, resetting, staying silent); that is the outcome.
/// </summary>
internal sealed class FuzzConnection : IDisposable
{
    /// <summary>Responses bigger than this are a finding, not something to read (the fuzz broker holds little data).</summary>
    public const int MaxResponseBytes = 64 << 20;

    private readonly Socket _socket;

    private FuzzConnection(Socket socket)
    {
        _socket = socket;
        LocalPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>The client port, which the broker's log lines name as the peer.</summary>
    public int LocalPort { get; }

    public static async Task<FuzzConnection> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, LingerState = new LingerOption(true, 0) };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return new FuzzConnection(socket);
    }

    public async Task<Exchange> ExchangeAsync(byte[] frame, TimeSpan patience)
    {
        using var timeout = new CancellationTokenSource(patience);
        try
        {
            await _socket.SendAsync(frame, SocketFlags.None, timeout.Token);
            var prefix = new byte[4];
            if (!await ReadExactlyAsync(prefix, timeout.Token)) return new Exchange(Outcome.Closed, 0, null);
            int size = BinaryPrimitives.ReadInt32BigEndian(prefix);
            if (size < 4 || size > MaxResponseBytes)
                throw new InvalidDataException($"the broker sent a response of {size} bytes");
            var response = new byte[size];
            if (!await ReadExactlyAsync(response, timeout.Token)) return new Exchange(Outcome.Closed, 0, null);
            return new Exchange(Outcome.Answered, BinaryPrimitives.ReadInt32BigEndian(response), response);
        }
        catch (OperationCanceledException)
        {
            return new Exchange(Outcome.NoAnswer, 0, null);
        }
        catch (SocketException)
        {
            return new Exchange(Outcome.Closed, 0, null);
        }
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, cancellationToken);
            if (n == 0) return false;
            read += n;
        }
        return true;
    }

    public void Dispose() => _socket.Dispose();
}
