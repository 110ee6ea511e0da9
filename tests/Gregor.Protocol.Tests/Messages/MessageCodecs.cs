using System.Reflection;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Tests.Messages;

/// <summary>Calls a generated message's static codec entry points through its descriptor.</summary>
internal static class MessageCodecs
{
    static MessageCodecs()
    {
        // Decoding invalid UTF-8 creates a cached delegate the first time it runs in a process;
        // do that once here, so the allocation measured for a message is what decoding it costs.
        var warmUp = new ProtocolReader(new byte[] { 0, 1, 0xFF });
        warmUp.ReadString(compact: false, nullable: false);
    }

    public static object Deserialize(MessageDescriptor d, byte[] bytes, short version)
    {
        var method = d.Root.ClrType.GetMethod("Deserialize", BindingFlags.Public | BindingFlags.Static)!;
        try
        {
            return method.Invoke(null, [new ReadOnlyMemory<byte>(bytes), version])!;
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    public static byte[] Serialize(object message, short version)
    {
        var method = message.GetType().GetMethod("Serialize", BindingFlags.Public | BindingFlags.Instance)!;
        return (byte[])method.Invoke(message, [version])!;
    }

    /// <summary>Bytes allocated by decoding, measured around the generated Read alone.</summary>
    public static long AllocatedByRead(MessageDescriptor d, byte[] bytes, short version, out Exception? failure) =>
        AllocatedByRead(d, bytes, version, int.MaxValue, out failure, out _);

    /// <summary>
    /// Bytes allocated by decoding with an element budget of <paramref name="maxElements"/>, and the
    /// array elements the reader counted (up to the count that exhausted the budget, if one did).
    /// </summary>
    public static long AllocatedByRead(MessageDescriptor d, byte[] bytes, short version, int maxElements, out Exception? failure, out long elements)
    {
        var method = typeof(MessageCodecs).GetMethod(nameof(MeasureRead), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(d.Root.ClrType);
        // The decode is deterministic, so the smaller of two measurements is its own: the runtime now and then
        // allocates on the thread inside the window (a one-off 8 KB was seen once in the suite).
        var args = new object?[] { bytes, version, maxElements, null, 0L };
        long allocated = (long)method.Invoke(null, args)!;
        args = [bytes, version, maxElements, null, 0L];
        allocated = Math.Min(allocated, (long)method.Invoke(null, args)!);
        failure = (Exception?)args[3];
        elements = (long)args[4]!;
        return allocated;
    }

    private static long MeasureRead<T>(byte[] bytes, short version, int maxElements, out Exception? failure, out long elements) where T : IProtocolMessage<T>
    {
        failure = null;
        var memory = new ReadOnlyMemory<byte>(bytes);
        var reader = new ProtocolReader(memory, maxElements);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            T.Read(ref reader, version);
        }
        catch (Exception e)
        {
            long failedAt = GC.GetAllocatedBytesForCurrentThread();
            failure = e;
            elements = reader.ElementsRead;
            return failedAt - before;
        }
        long after = GC.GetAllocatedBytesForCurrentThread();
        elements = reader.ElementsRead;
        return after - before;
    }

    public static IEnumerable<(MessageDescriptor Message, short Version)> EveryMessageVersion()
    {
        foreach (var d in MessageCatalog.All)
            for (short v = d.LowestVersion; v <= d.HighestVersion; v++)
                yield return (d, v);
    }
}
