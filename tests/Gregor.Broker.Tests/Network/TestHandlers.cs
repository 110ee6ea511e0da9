using System.Buffers.Binary;
using Gregor.Broker.Dispatch;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Broker.Tests.Network;

/// <summary>
/// Handlers under API keys no Kafka API uses, so they never collide with the broker's own: one
/// that waits until released (a long poll), one that throws.
/// </summary>
internal static class TestApis
{
    public const ApiKey Waiting = (ApiKey)900;
    public const ApiKey Throwing = (ApiKey)901;
    public const ApiKey Echo = (ApiKey)902;
}

/// <summary>Echoes the body's first int32 once <see cref="Release"/> is called (or at once if the body says 0).</summary>
internal sealed class WaitingHandler : IApiHandler
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;

    public ApiKey Api => TestApis.Waiting;
    public short LowestVersion => 0;
    public short HighestVersion => 1;
    public int Started => Volatile.Read(ref _started);

    public void Release() => _release.TrySetResult();

    public async ValueTask<IProtocolStruct?> HandleAsync(RequestContext context, ReadOnlyMemory<byte> body, CancellationToken cancellationToken)
    {
        int value = BinaryPrimitives.ReadInt32BigEndian(body.Span);
        Interlocked.Increment(ref _started);
        if (value != 0) await _release.Task.WaitAsync(cancellationToken);
        return new Int32Body(value);
    }
}

internal sealed class ThrowingHandler : IApiHandler
{
    public ApiKey Api => TestApis.Throwing;
    public short LowestVersion => 0;
    public short HighestVersion => 0;

    public ValueTask<IProtocolStruct?> HandleAsync(RequestContext context, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("handler bug");
}

/// <summary>Answers with the request body itself, byte for byte.</summary>
internal sealed class EchoHandler : IApiHandler
{
    public ApiKey Api => TestApis.Echo;
    public short LowestVersion => 0;
    public short HighestVersion => 0;

    public ValueTask<IProtocolStruct?> HandleAsync(RequestContext context, ReadOnlyMemory<byte> body, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IProtocolStruct?>(new BytesBody(body.ToArray()));
}

internal sealed class BytesBody(byte[] bytes) : IProtocolStruct
{
    public int Size(short version) => bytes.Length;

    public void Write(ref ProtocolWriter writer, short version) => writer.WriteRaw(bytes);
}

internal sealed class Int32Body(int value) : IProtocolStruct
{
    public int Size(short version) => 4;

    public void Write(ref ProtocolWriter writer, short version) => writer.WriteInt32(value);
}
