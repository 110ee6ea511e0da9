using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Net.Tests;

/// <summary>A request as the fake node read it: its header, and its body to decode.</summary>
internal sealed class FakeRequest(RequestHeader header, byte[] frame, int bodyOffset)
{
    public RequestHeader Header { get; } = header;

    public short ApiKey => Header.RequestApiKey;

    public short Version => Header.RequestApiVersion;

    public int CorrelationId => Header.CorrelationId;

    public T Body<T>() where T : IProtocolMessage<T>
    {
        var reader = new ProtocolReader(frame.AsMemory(bodyOffset));
        return T.Read(ref reader, Version);
    }
}

/// <summary>What the fake node does with one request.</summary>
internal abstract class FakeReply
{
    /// <summary>No answer at all.</summary>
    public static readonly FakeReply Silence = new SilenceReply();

    /// <summary>Closes the connection instead of answering (and so drops every request still unanswered).</summary>
    public static readonly FakeReply Close = new CloseReply();

    /// <summary>A well-formed response: the header the request's version implies, then <paramref name="body"/> at <paramref name="version"/> (the request's unless given).</summary>
    public static FakeReply Answer(IProtocolStruct body, short? version = null) => new AnswerReply(body, version);

    /// <summary>A response frame with the given correlation id and body bytes after it (header v0, no checks).</summary>
    public static FakeReply Raw(int correlationId, byte[] body)
    {
        var bytes = new byte[8 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, 4 + body.Length);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4), correlationId);
        body.CopyTo(bytes, 8);
        return new BytesReply(bytes);
    }

    /// <summary>Exactly these bytes on the wire, size prefix included (or not).</summary>
    public static FakeReply Bytes(byte[] wire) => new BytesReply(wire);

    /// <summary>The bytes to write for <paramref name="request"/>, or null for none.</summary>
    internal abstract byte[]? Encode(FakeRequest request);

    private sealed class SilenceReply : FakeReply
    {
        internal override byte[]? Encode(FakeRequest request) => null;
    }

    private sealed class CloseReply : FakeReply
    {
        internal override byte[]? Encode(FakeRequest request) => throw new InvalidOperationException("a close has no bytes");
    }

    private sealed class BytesReply(byte[] wire) : FakeReply
    {
        internal override byte[]? Encode(FakeRequest request) => wire;
    }

    private sealed class AnswerReply(IProtocolStruct body, short? version) : FakeReply
    {
        internal override byte[]? Encode(FakeRequest request)
        {
            short bodyVersion = version ?? request.Version;
            short headerVersion = RequestFraming.ResponseHeaderVersion(request.ApiKey, request.Version);
            var header = new ResponseHeader { CorrelationId = request.CorrelationId };
            int size = header.Size(headerVersion) + body.Size(bodyVersion);
            var bytes = new byte[4 + size];
            BinaryPrimitives.WriteInt32BigEndian(bytes, size);
            var writer = new ProtocolWriter(bytes.AsSpan(4));
            header.Write(ref writer, headerVersion);
            body.Write(ref writer, bodyVersion);
            return bytes;
        }
    }
}

/// <summary>
/// A fake Kafka node on 127.0.0.1, speaking the wire protocol through Gregor's generated codecs.
/// Each request goes to a handler, which may take its time: the node keeps reading while earlier
/// requests wait, and writes answers in request order, as Kafka does. A handler returning null
/// gets the default: ApiVersions is answered with <see cref="Advertised"/>, anything else not at all.
/// </summary>
internal sealed class FakeKafkaServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<FakeRequest, Task<FakeReply?>> _handler;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Socket> _clients = [];
    private readonly Task _accepting;

    public FakeKafkaServer()
        : this(static _ => Task.FromResult<FakeReply?>(null))
    {
    }

    public FakeKafkaServer(Func<FakeRequest, FakeReply?> handler)
        : this(r => Task.FromResult(handler(r)))
    {
    }

    public FakeKafkaServer(Func<FakeRequest, Task<FakeReply?>> handler)
    {
        _handler = handler;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public BrokerEndpoint Endpoint => new("127.0.0.1", Port);

    /// <summary>What ApiVersions is answered with by default: ApiVersions v0-4 and Metadata v0-12.</summary>
    public ApiVersionsResponse Advertised { get; init; } = Advertise((ApiKey.ApiVersions, 0, 4), (ApiKey.Metadata, 0, 12));

    /// <summary>Every request read, in order, over all connections.</summary>
    public List<(short ApiKey, short Version)> Received { get; } = [];

    public int Connections { get; private set; }

    public static ApiVersionsResponse Advertise(params (ApiKey Key, short Min, short Max)[] apis) => new()
    {
        ApiKeys = [.. apis.Select(a => new ApiVersionsResponse.ApiVersion { ApiKey = (short)a.Key, MinVersion = a.Min, MaxVersion = a.Max })],
    };

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptSocketAsync(_stop.Token);
                lock (_clients)
                {
                    _clients.Add(client);
                    Connections++;
                }
                _ = ServeAsync(client);
            }
        }
        catch (OperationCanceledException) { }
        catch (SocketException) { }
    }

    private async Task ServeAsync(Socket client)
    {
        var answers = Channel.CreateUnbounded<(FakeRequest Request, Task<FakeReply?> Reply)>();
        var writing = WriteAsync(client, answers.Reader);
        try
        {
            using var stream = new NetworkStream(client, ownsSocket: true);
            var sizeBytes = new byte[4];
            while (true)
            {
                await stream.ReadExactlyAsync(sizeBytes, _stop.Token);
                var frame = new byte[BinaryPrimitives.ReadInt32BigEndian(sizeBytes)];
                await stream.ReadExactlyAsync(frame, _stop.Token);
                var reader = new ProtocolReader(frame);
                var header = RequestFraming.ReadHeader(ref reader, frame);
                var request = new FakeRequest(header, frame, reader.Position);
                lock (Received) Received.Add((request.ApiKey, request.Version));
                await answers.Writer.WriteAsync((request, _handler(request)), _stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException or EndOfStreamException) { }
        finally
        {
            answers.Writer.TryComplete();
        }
        await writing;
    }

    private async Task WriteAsync(Socket client, ChannelReader<(FakeRequest Request, Task<FakeReply?> Reply)> answers)
    {
        try
        {
            await foreach (var (request, pending) in answers.ReadAllAsync(_stop.Token))
            {
                var reply = await pending ?? Default(request);
                if (reply == FakeReply.Close)
                {
                    client.Close();
                    return;
                }
                if (reply.Encode(request) is { } bytes) await client.SendAsync(bytes, _stop.Token);
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException) { }
    }

    private FakeReply Default(FakeRequest request) =>
        request.ApiKey == (short)ApiKey.ApiVersions ? FakeReply.Answer(Advertised) : FakeReply.Silence;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        lock (_clients)
            foreach (var client in _clients) client.Dispose();
        _stop.Dispose();
    }
}
