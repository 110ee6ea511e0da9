using System.Runtime.InteropServices;

namespace Gregor.Protocol.Compression;

/// <summary>The streaming API of the system's libzstd (stable since 1.4.0), bound on first use.</summary>
internal sealed unsafe class ZstdLibrary
{
    public const string FileName = "libzstd.so.1";

    // Values of the zstd.h enums used here.
    private const int ResetSessionAndParameters = 3;
    private const int CompressionLevelParameter = 100;
    private const int WindowLogMaxParameter = 100;
    private const int EndFrame = 2;

    private static readonly Lock LoadLock = new();
    private static ZstdLibrary? instance;

    private readonly delegate* unmanaged<nuint, uint> isError;
    private readonly delegate* unmanaged<nuint, byte*> getErrorName;
    private readonly delegate* unmanaged<IntPtr> createCompressionContext;
    private readonly delegate* unmanaged<IntPtr, nuint> freeCompressionContext;
    private readonly delegate* unmanaged<IntPtr, int, nuint> resetCompressionContext;
    private readonly delegate* unmanaged<IntPtr, int, int, nuint> setCompressionParameter;
    private readonly delegate* unmanaged<IntPtr, ulong, nuint> setPledgedSourceSize;
    private readonly delegate* unmanaged<IntPtr, ZstdOutBuffer*, ZstdInBuffer*, int, nuint> compressStream;
    private readonly delegate* unmanaged<IntPtr> createDecompressionContext;
    private readonly delegate* unmanaged<IntPtr, nuint> freeDecompressionContext;
    private readonly delegate* unmanaged<IntPtr, int, nuint> resetDecompressionContext;
    private readonly delegate* unmanaged<IntPtr, int, int, nuint> setDecompressionParameter;
    private readonly delegate* unmanaged<IntPtr, ZstdOutBuffer*, ZstdInBuffer*, nuint> decompressStream;
    private readonly delegate* unmanaged<IntPtr, nuint> sizeOfDecompressionContext;

    private ZstdLibrary(IntPtr library)
    {
        isError = (delegate* unmanaged<nuint, uint>)Export(library, "ZSTD_isError");
        getErrorName = (delegate* unmanaged<nuint, byte*>)Export(library, "ZSTD_getErrorName");
        createCompressionContext = (delegate* unmanaged<IntPtr>)Export(library, "ZSTD_createCCtx");
        freeCompressionContext = (delegate* unmanaged<IntPtr, nuint>)Export(library, "ZSTD_freeCCtx");
        resetCompressionContext = (delegate* unmanaged<IntPtr, int, nuint>)Export(library, "ZSTD_CCtx_reset");
        setCompressionParameter = (delegate* unmanaged<IntPtr, int, int, nuint>)Export(library, "ZSTD_CCtx_setParameter");
        setPledgedSourceSize = (delegate* unmanaged<IntPtr, ulong, nuint>)Export(library, "ZSTD_CCtx_setPledgedSrcSize");
        compressStream = (delegate* unmanaged<IntPtr, ZstdOutBuffer*, ZstdInBuffer*, int, nuint>)Export(library, "ZSTD_compressStream2");
        createDecompressionContext = (delegate* unmanaged<IntPtr>)Export(library, "ZSTD_createDCtx");
        freeDecompressionContext = (delegate* unmanaged<IntPtr, nuint>)Export(library, "ZSTD_freeDCtx");
        resetDecompressionContext = (delegate* unmanaged<IntPtr, int, nuint>)Export(library, "ZSTD_DCtx_reset");
        setDecompressionParameter = (delegate* unmanaged<IntPtr, int, int, nuint>)Export(library, "ZSTD_DCtx_setParameter");
        decompressStream = (delegate* unmanaged<IntPtr, ZstdOutBuffer*, ZstdInBuffer*, nuint>)Export(library, "ZSTD_decompressStream");
        sizeOfDecompressionContext = (delegate* unmanaged<IntPtr, nuint>)Export(library, "ZSTD_sizeof_DCtx");
    }

    /// <summary>The bound library; throws <see cref="DllNotFoundException"/> if libzstd is not installed.</summary>
    public static ZstdLibrary Instance => Volatile.Read(ref instance) ?? Load();

    private static ZstdLibrary Load()
    {
        lock (LoadLock)
        {
            if (instance is null)
            {
                IntPtr library = NativeCodecLibrary.Load("zstd", "libzstd1", FileName, "libzstd.so", "libzstd.1.dylib", "libzstd.dylib", "libzstd.dll");
                Volatile.Write(ref instance, new ZstdLibrary(library));
            }
            return instance;
        }
    }

    private static IntPtr Export(IntPtr library, string name) => NativeCodecLibrary.Export(library, FileName, name);

    public bool IsError(nuint code) => isError(code) != 0;

    public string ErrorName(nuint code) => Marshal.PtrToStringUTF8((IntPtr)getErrorName(code)) ?? "unknown error";

    public IntPtr CreateCompressionContext() =>
        NotNull(createCompressionContext(), "compression");

    public void FreeCompressionContext(IntPtr context) => freeCompressionContext(context);

    public IntPtr CreateDecompressionContext() =>
        NotNull(createDecompressionContext(), "decompression");

    public void FreeDecompressionContext(IntPtr context) => freeDecompressionContext(context);

    /// <summary>Clears any half-done frame and all parameters, then sets the level and the frame's content size.</summary>
    public void StartFrame(IntPtr context, int level, ulong contentSize)
    {
        Setup(resetCompressionContext(context, ResetSessionAndParameters));
        Setup(setCompressionParameter(context, CompressionLevelParameter, level));
        Setup(setPledgedSourceSize(context, contentSize));
    }

    /// <summary>ZSTD_compressStream2 with ZSTD_e_end: returns 0 once the frame is complete and flushed.</summary>
    public nuint CompressEnd(IntPtr context, ZstdOutBuffer* output, ZstdInBuffer* input) =>
        compressStream(context, output, input, EndFrame);

    /// <summary>Clears any half-done frame and sets the largest window (as a power of two) a frame may ask for.</summary>
    public void StartDecompression(IntPtr context, int windowLogMax)
    {
        Setup(resetDecompressionContext(context, ResetSessionAndParameters));
        Setup(setDecompressionParameter(context, WindowLogMaxParameter, windowLogMax));
    }

    /// <summary>ZSTD_decompressStream: returns 0 when a frame is complete and flushed.</summary>
    public nuint DecompressStream(IntPtr context, ZstdOutBuffer* output, ZstdInBuffer* input) =>
        decompressStream(context, output, input);

    public nuint SizeOfDecompressionContext(IntPtr context) => sizeOfDecompressionContext(context);

    private void Setup(nuint code)
    {
        if (IsError(code))
            throw new InvalidOperationException($"zstd: cannot set up a context: {ErrorName(code)}");
    }

    private static IntPtr NotNull(IntPtr context, string kind) =>
        context != IntPtr.Zero ? context : throw new InvalidOperationException($"zstd: cannot create a {kind} context");
}

/// <summary>ZSTD_inBuffer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ZstdInBuffer
{
    public byte* Source;
    public nuint Size;
    public nuint Position;
}

/// <summary>ZSTD_outBuffer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct ZstdOutBuffer
{
    public byte* Destination;
    public nuint Size;
    public nuint Position;
}
