using System.Reflection;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Tests.Messages;

/// <summary>Calls a generated message's static codec entry points through its descriptor.</summary>
internal static class MessageCodecs
{
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
    public static long AllocatedByRead(MessageDescriptor d, byte[] bytes, short version, out Exception? failure)
    {
        var method = typeof(MessageCodecs).GetMethod(nameof(MeasureRead), BindingFlags.NonPublic | BindingFlags.Static)!
            .MakeGenericMethod(d.Root.ClrType);
        var args = new object?[] { bytes, version, null };
        long allocated = (long)method.Invoke(null, args)!;
        failure = (Exception?)args[2];
        return allocated;
    }

    private static long MeasureRead<T>(byte[] bytes, short version, out Exception? failure) where T : IProtocolMessage<T>
    {
        failure = null;
        var memory = new ReadOnlyMemory<byte>(bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            var reader = new ProtocolReader(memory);
            T.Read(ref reader, version);
        }
        catch (Exception e)
        {
            long failedAt = GC.GetAllocatedBytesForCurrentThread();
            failure = e;
            return failedAt - before;
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    public static IEnumerable<(MessageDescriptor Message, short Version)> EveryMessageVersion()
    {
        foreach (var d in MessageCatalog.All)
            for (short v = d.LowestVersion; v <= d.HighestVersion; v++)
                yield return (d, v);
    }
}
