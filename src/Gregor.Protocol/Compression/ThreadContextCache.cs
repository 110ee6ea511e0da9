using System.Runtime.InteropServices;

namespace Gregor.Protocol.Compression;

/// <summary>
/// Keeps one native codec context per thread, so a batch does not pay for creating and freeing
/// one. A context is taken out while in use and put back after, so a nested call on the same
/// thread (say, from a destination writer) gets a context of its own. When a thread ends, its
/// cached context becomes unreachable and the handle's finalizer frees it.
/// </summary>
internal static class ThreadContextCache<T> where T : SafeHandle
{
    [ThreadStatic]
    private static T? cached;

    public static T? Take()
    {
        T? context = cached;
        cached = null;
        return context;
    }

    public static void Return(T context)
    {
        if (cached is null && !context.IsClosed)
            cached = context;
        else
            context.Dispose();
    }
}
