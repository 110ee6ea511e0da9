using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Gregor.Storage;

/// <summary>
/// Shared read-write mappings of whole files, made and unmade directly rather than through MemoryMappedFile:
/// a mapping stays valid after its file's descriptor is closed, and MemoryMappedFile would keep that descriptor
/// open for as long as the mapping lives. Unix only (the broker's storage runs on Linux).
/// </summary>
internal static unsafe partial class FileMapping
{
    // The same values on Linux and macOS.
    private const int ProtReadWrite = 0x1 | 0x2;
    private const int MapShared = 0x1;

    /// <summary>Maps the first <paramref name="length"/> bytes of the open file; the descriptor may be closed afterwards.</summary>
    public static byte* Map(SafeFileHandle file, long length, string path)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Index files are mapped with mmap; Gregor's storage runs on Unix.");
        bool added = false;
        file.DangerousAddRef(ref added);
        try
        {
            nint address = Mmap(0, (nuint)length, ProtReadWrite, MapShared, (int)file.DangerousGetHandle(), 0);
            if (address == -1)
            {
                int errno = Marshal.GetLastPInvokeError();
                // ENOMEM here is usually vm.max_map_count, not memory.
                throw new IOException($"Cannot map {path} ({length} bytes): {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}; mappings are limited by vm.max_map_count).");
            }
            return (byte*)address;
        }
        finally
        {
            if (added)
                file.DangerousRelease();
        }
    }

    /// <summary>Unmaps a mapping made by <see cref="Map"/>. Dirty pages stay in the page cache for writeback.</summary>
    public static void Unmap(byte* address, long length)
    {
        if (Munmap((nint)address, (nuint)length) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"munmap failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}).");
        }
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    private static partial int Munmap(nint address, nuint length);
}
