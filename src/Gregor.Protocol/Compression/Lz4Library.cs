using System.Runtime.InteropServices;

namespace Gregor.Protocol.Compression;

/// <summary>The LZ4 frame API (LZ4F_*) of the system's liblz4, bound on first use.</summary>
internal sealed unsafe class Lz4Library
{
    public const string FileName = "liblz4.so.1";

    /// <summary>LZ4F_VERSION: the API version the context structures are created for.</summary>
    private const uint ApiVersion = 100;

    private static readonly Lock LoadLock = new();
    private static Lz4Library? instance;

    private readonly delegate* unmanaged<nuint, uint> isError;
    private readonly delegate* unmanaged<nuint, byte*> getErrorName;
    private readonly delegate* unmanaged<IntPtr*, uint, nuint> createCompressionContext;
    private readonly delegate* unmanaged<IntPtr, nuint> freeCompressionContext;
    private readonly delegate* unmanaged<nuint, Lz4Preferences*, nuint> compressBound;
    private readonly delegate* unmanaged<IntPtr, byte*, nuint, Lz4Preferences*, nuint> compressBegin;
    private readonly delegate* unmanaged<IntPtr, byte*, nuint, byte*, nuint, void*, nuint> compressUpdate;
    private readonly delegate* unmanaged<IntPtr, byte*, nuint, void*, nuint> compressEnd;
    private readonly delegate* unmanaged<IntPtr*, uint, nuint> createDecompressionContext;
    private readonly delegate* unmanaged<IntPtr, nuint> freeDecompressionContext;
    private readonly delegate* unmanaged<IntPtr, void> resetDecompressionContext;
    private readonly delegate* unmanaged<IntPtr, byte*, nuint*, byte*, nuint*, void*, nuint> decompress;

    private Lz4Library(IntPtr library)
    {
        isError = (delegate* unmanaged<nuint, uint>)Export(library, "LZ4F_isError");
        getErrorName = (delegate* unmanaged<nuint, byte*>)Export(library, "LZ4F_getErrorName");
        createCompressionContext = (delegate* unmanaged<IntPtr*, uint, nuint>)Export(library, "LZ4F_createCompressionContext");
        freeCompressionContext = (delegate* unmanaged<IntPtr, nuint>)Export(library, "LZ4F_freeCompressionContext");
        compressBound = (delegate* unmanaged<nuint, Lz4Preferences*, nuint>)Export(library, "LZ4F_compressBound");
        compressBegin = (delegate* unmanaged<IntPtr, byte*, nuint, Lz4Preferences*, nuint>)Export(library, "LZ4F_compressBegin");
        compressUpdate = (delegate* unmanaged<IntPtr, byte*, nuint, byte*, nuint, void*, nuint>)Export(library, "LZ4F_compressUpdate");
        compressEnd = (delegate* unmanaged<IntPtr, byte*, nuint, void*, nuint>)Export(library, "LZ4F_compressEnd");
        createDecompressionContext = (delegate* unmanaged<IntPtr*, uint, nuint>)Export(library, "LZ4F_createDecompressionContext");
        freeDecompressionContext = (delegate* unmanaged<IntPtr, nuint>)Export(library, "LZ4F_freeDecompressionContext");
        resetDecompressionContext = (delegate* unmanaged<IntPtr, void>)Export(library, "LZ4F_resetDecompressionContext");
        decompress = (delegate* unmanaged<IntPtr, byte*, nuint*, byte*, nuint*, void*, nuint>)Export(library, "LZ4F_decompress");
    }

    /// <summary>The bound library; throws <see cref="DllNotFoundException"/> if liblz4 is not installed.</summary>
    public static Lz4Library Instance => Volatile.Read(ref instance) ?? Load();

    private static Lz4Library Load()
    {
        lock (LoadLock)
        {
            if (instance is null)
            {
                IntPtr library = NativeCodecLibrary.Load("LZ4", "liblz4-1", FileName, "liblz4.so", "liblz4.1.dylib", "liblz4.dylib", "liblz4.dll");
                Volatile.Write(ref instance, new Lz4Library(library));
            }
            return instance;
        }
    }

    private static IntPtr Export(IntPtr library, string name) => NativeCodecLibrary.Export(library, FileName, name);

    public bool IsError(nuint code) => isError(code) != 0;

    public string ErrorName(nuint code) => Marshal.PtrToStringUTF8((IntPtr)getErrorName(code)) ?? "unknown error";

    public IntPtr CreateCompressionContext()
    {
        IntPtr context;
        nuint code = createCompressionContext(&context, ApiVersion);
        if (IsError(code))
            throw new InvalidOperationException($"lz4: cannot create a compression context: {ErrorName(code)}");
        return context;
    }

    public void FreeCompressionContext(IntPtr context) => freeCompressionContext(context);

    public IntPtr CreateDecompressionContext()
    {
        IntPtr context;
        nuint code = createDecompressionContext(&context, ApiVersion);
        if (IsError(code))
            throw new InvalidOperationException($"lz4: cannot create a decompression context: {ErrorName(code)}");
        return context;
    }

    public void FreeDecompressionContext(IntPtr context) => freeDecompressionContext(context);

    public void ResetDecompressionContext(IntPtr context) => resetDecompressionContext(context);

    public nuint CompressBound(nuint sourceSize, Lz4Preferences* preferences) => compressBound(sourceSize, preferences);

    public nuint CompressBegin(IntPtr context, byte* destination, nuint capacity, Lz4Preferences* preferences) =>
        compressBegin(context, destination, capacity, preferences);

    public nuint CompressUpdate(IntPtr context, byte* destination, nuint capacity, byte* source, nuint sourceSize) =>
        compressUpdate(context, destination, capacity, source, sourceSize, null);

    public nuint CompressEnd(IntPtr context, byte* destination, nuint capacity) =>
        compressEnd(context, destination, capacity, null);

    /// <summary>
    /// LZ4F_decompress: on return <paramref name="destinationSize"/> holds the bytes written and
    /// <paramref name="sourceSize"/> the bytes consumed; the result is 0 once a frame is complete.
    /// </summary>
    public nuint Decompress(IntPtr context, byte* destination, nuint* destinationSize, byte* source, nuint* sourceSize) =>
        decompress(context, destination, destinationSize, source, sourceSize, null);
}

/// <summary>LZ4F_preferences_t (with LZ4F_frameInfo_t inlined), laid out as liblz4 1.8.2+ defines it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Lz4Preferences
{
    public int BlockSizeId;
    public int BlockMode;
    public int ContentChecksumFlag;
    public int FrameType;
    public ulong ContentSize;
    public uint DictionaryId;
    public int BlockChecksumFlag;
    public int CompressionLevel;
    public uint AutoFlush;
    public uint FavorDecompressionSpeed;
    public uint Reserved0;
    public uint Reserved1;
    public uint Reserved2;
}
