using System.Buffers;
using System.Runtime.InteropServices;

namespace Gregor.Broker.Network;

/// <summary>
/// A request buffer mapped straight from the operating system (anonymous mmap) rather than allocated on the
/// managed heap, so that letting it go (munmap) returns its memory at once. Large managed arrays go back only
/// when a full collection finds them dead, and the collector may keep the memory committed after that; under
/// clients that keep dropping large half-received requests that garbage piled up to several times the request
/// budget (measured: 1 GB of heap against a 128 MiB budget). Linux only; elsewhere the pool uses arrays.
/// No finalizer: a span of it may outlive every reference to it, so only an explicit return unmaps it.
/// </summary>
internal sealed unsafe partial class MappedBuffer : MemoryManager<byte>
{
    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapPrivateAnonymous = 0x02 | 0x20;

    private byte* _address;
    private readonly int _length;

    private MappedBuffer(byte* address, int length)
    {
        _address = address;
        _length = length;
    }

    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>A new mapping of <paramref name="length"/> bytes (zeroed by the kernel as they are first touched).</summary>
    public static MappedBuffer Map(int length)
    {
        nint address = Mmap(0, (nuint)length, ProtReadWrite, MapPrivateAnonymous, -1, 0);
        if (address == -1) throw new OutOfMemoryException($"mmap of {length} bytes failed (errno {Marshal.GetLastPInvokeError()})");
        return new MappedBuffer((byte*)address, length);
    }

    public int Length => _length;

    public override Span<byte> GetSpan()
    {
        ObjectDisposedException.ThrowIf(_address is null, this);
        return new Span<byte>(_address, _length);
    }

    public override MemoryHandle Pin(int elementIndex = 0)
    {
        ObjectDisposedException.ThrowIf(_address is null, this);
        return new MemoryHandle(_address + elementIndex);
    }

    public override void Unpin()
    {
    }

    protected override void Dispose(bool disposing)
    {
        if (_address is null) return;
        _ = Munmap((nint)_address, (nuint)_length);
        _address = null;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);
}
