using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Gregor.Client.Tests.Network;

/// <summary>
/// A fake broker on 127.0.0.1 that hands each request frame (api key, version, correlation id,
/// whole frame) to a script, which returns the response frame body after the size prefix, or null
/// to stay silent. Lets tests make a broker misbehave in ways the real one does not. With an asynchronous script the
/// broker reads on while answers are pending and writes them in request order as they complete, as a Kafka broker
/// does, so a test can hold answers back and see how many requests a client has outstanding.
/// </summary>
internal sealed class ScriptedBroker : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<short, short, int, byte[], byte[]?>? _script;
    private readonly Func<short, short, int, byte[], Task<byte[]?>>? _asyncScript;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public ScriptedBroker(Func<short, short, int, byte[], byte[]?> script)
    {
        _script = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public ScriptedBroker(Func<short, short, int, byte[], Task<byte[]?>> script)
    {
        _asyncScript = script;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public List<(short ApiKey, short Version)> Received { get; } = [];

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = _asyncScript is null ? ServeAsync(client) : ServePipelinedAsync(client);
            }
        }
        catch (OperationCanceledException) { }
        catch (SocketException) { }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var size = new byte[4];
            try
            {
                while (true)
                {
                    await stream.ReadExactlyAsync(size, _stop.Token);
                    var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
                    await stream.ReadExactlyAsync(frame, _stop.Token);
                    short key = BinaryPrimitives.ReadInt16BigEndian(frame);
                    short version = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2));
                    int correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
                    lock (Received) Received.Add((key, version));
                    if (_script!(key, version, correlationId, frame) is not { } response) continue;
                    var prefix = new byte[4];
                    BinaryPrimitives.WriteInt32BigEndian(prefix, response.Length);
                    await stream.WriteAsync(prefix, _stop.Token);
                    await stream.WriteAsync(response, _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException) { }
        }
    }

    private async Task ServePipelinedAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var answers = System.Threading.Channels.Channel.CreateUnbounded<Task<byte[]?>>();
            var writing = WriteInOrderAsync(stream, answers.Reader);
            var size = new byte[4];
            try
            {
                while (true)
                {
                    await stream.ReadExactlyAsync(size, _stop.Token);
                    var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(size)];
                    await stream.ReadExactlyAsync(frame, _stop.Token);
                    short key = BinaryPrimitives.ReadInt16BigEndian(frame);
                    short version = BinaryPrimitives.ReadInt16BigEndian(frame.AsSpan(2));
                    int correlationId = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
                    lock (Received) Received.Add((key, version));
                    answers.Writer.TryWrite(_asyncScript!(key, version, correlationId, frame));
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or EndOfStreamException) { }
            answers.Writer.TryComplete();
            await writing;
        }
    }

    private async Task WriteInOrderAsync(NetworkStream stream, System.Threading.Channels.ChannelReader<Task<byte[]?>> answers)
    {
        try
        {
            await foreach (var answer in answers.ReadAllAsync(_stop.Token))
            {
                if (await answer.WaitAsync(_stop.Token) is not { } response) continue;
                var prefix = new byte[4];
                BinaryPrimitives.WriteInt32BigEndian(prefix, response.Length);
                await stream.WriteAsync(prefix, _stop.Token);
                await stream.WriteAsync(response, _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException) { }
    }

    /// <summary>A response frame: header v0 (correlation id) and a body.</summary>
    public static byte[] Frame(int correlationId, byte[] body)
    {
        var frame = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, correlationId);
        body.CopyTo(frame, 4);
        return frame;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
