using System.Runtime.InteropServices;

namespace Gregor.Protocol.Compression;

/// <summary>A zstd compression context; freed on dispose or, if leaked, by the finalizer.</summary>
internal sealed class ZstdCompressionContext : SafeHandle
{
    private ZstdCompressionContext(IntPtr context) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(context);

    public override bool IsInvalid => handle == IntPtr.Zero;

    public IntPtr Pointer => handle;

    /// <summary>This thread's cached context, or a new one; give it back with <see cref="ReturnOrFree"/>.</summary>
    public static ZstdCompressionContext Rent() =>
        ThreadContextCache<ZstdCompressionContext>.Take() ?? new ZstdCompressionContext(ZstdLibrary.Instance.CreateCompressionContext());

    /// <summary>Keeps the context for this thread's next call if it is fit for reuse, else frees it.</summary>
    public void ReturnOrFree(bool reusable)
    {
        if (reusable)
            ThreadContextCache<ZstdCompressionContext>.Return(this);
        else
            Dispose();
    }

    protected override bool ReleaseHandle()
    {
        ZstdLibrary.Instance.FreeCompressionContext(handle);
        return true;
    }
}

/// <summary>A zstd decompression context; freed on dispose or, if leaked, by the finalizer.</summary>
internal sealed class ZstdDecompressionContext : SafeHandle
{
    private ZstdDecompressionContext(IntPtr context) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(context);

    public override bool IsInvalid => handle == IntPtr.Zero;

    public IntPtr Pointer => handle;

    /// <summary>This thread's cached context, or a new one; give it back with <see cref="ReturnOrFree"/>.</summary>
    public static ZstdDecompressionContext Rent() =>
        ThreadContextCache<ZstdDecompressionContext>.Take() ?? new ZstdDecompressionContext(ZstdLibrary.Instance.CreateDecompressionContext());

    /// <summary>Keeps the context for this thread's next call if it is fit for reuse, else frees it.</summary>
    public void ReturnOrFree(bool reusable)
    {
        if (reusable)
            ThreadContextCache<ZstdDecompressionContext>.Return(this);
        else
            Dispose();
    }

    protected override bool ReleaseHandle()
    {
        ZstdLibrary.Instance.FreeDecompressionContext(handle);
        return true;
    }
}
