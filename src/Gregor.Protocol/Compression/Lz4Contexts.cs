using System.Runtime.InteropServices;

namespace Gregor.Protocol.Compression;

/// <summary>An LZ4F compression context; freed on dispose or, if leaked, by the finalizer.</summary>
internal sealed class Lz4CompressionContext : SafeHandle
{
    private Lz4CompressionContext(IntPtr context) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(context);

    public override bool IsInvalid => handle == IntPtr.Zero;

    public IntPtr Pointer => handle;

    /// <summary>This thread's cached context, or a new one; give it back with <see cref="ReturnOrFree"/>.</summary>
    public static Lz4CompressionContext Rent() =>
        ThreadContextCache<Lz4CompressionContext>.Take() ?? new Lz4CompressionContext(Lz4Library.Instance.CreateCompressionContext());

    /// <summary>Keeps the context for this thread's next call if it is fit for reuse, else frees it.</summary>
    public void ReturnOrFree(bool reusable)
    {
        if (reusable)
            ThreadContextCache<Lz4CompressionContext>.Return(this);
        else
            Dispose();
    }

    protected override bool ReleaseHandle()
    {
        Lz4Library.Instance.FreeCompressionContext(handle);
        return true;
    }
}

/// <summary>An LZ4F decompression context; freed on dispose or, if leaked, by the finalizer.</summary>
internal sealed class Lz4DecompressionContext : SafeHandle
{
    private Lz4DecompressionContext(IntPtr context) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(context);

    public override bool IsInvalid => handle == IntPtr.Zero;

    public IntPtr Pointer => handle;

    /// <summary>This thread's cached context, or a new one; give it back with <see cref="ReturnOrFree"/>.</summary>
    public static Lz4DecompressionContext Rent() =>
        ThreadContextCache<Lz4DecompressionContext>.Take() ?? new Lz4DecompressionContext(Lz4Library.Instance.CreateDecompressionContext());

    /// <summary>Keeps the context for this thread's next call if it is fit for reuse, else frees it.</summary>
    public void ReturnOrFree(bool reusable)
    {
        if (reusable)
            ThreadContextCache<Lz4DecompressionContext>.Return(this);
        else
            Dispose();
    }

    protected override bool ReleaseHandle()
    {
        Lz4Library.Instance.FreeDecompressionContext(handle);
        return true;
    }
}
