using System.Runtime.InteropServices;

namespace Gregor.Storage;

/// <summary>Room left on the file system holding a directory; -1 for what could not be read.</summary>
public readonly partial record struct FileSystemSpace(long AvailableBytes, long TotalBytes, long AvailableInodes)
{
    public static FileSystemSpace Unknown => new(-1, -1, -1);

    /// <summary>statvfs of <paramref name="directory"/> (bytes and inodes an unprivileged process may still use).</summary>
    public static unsafe FileSystemSpace Of(string directory)
    {
        if (!OperatingSystem.IsLinux() || !Environment.Is64BitProcess)
            return Unknown;
        StatVfsBuffer buffer;
        if (StatVfs(directory, &buffer) != 0)
            return Unknown;
        long fragment = (long)buffer.FragmentSize;
        return new FileSystemSpace(Scale(buffer.BlocksAvailable, fragment), Scale(buffer.Blocks, fragment), Clamp(buffer.InodesAvailable));
    }

    private static long Scale(ulong blocks, long size) => blocks > (ulong)(long.MaxValue / Math.Max(size, 1)) ? long.MaxValue : (long)blocks * size;

    private static long Clamp(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    /// <summary>glibc's struct statvfs on 64-bit Linux: every field 64 bits, then six ints of padding.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfsBuffer
    {
        public ulong BlockSize;
        public ulong FragmentSize;
        public ulong Blocks;
        public ulong BlocksFree;
        public ulong BlocksAvailable;
        public ulong Inodes;
        public ulong InodesFree;
        public ulong InodesAvailable;
        public ulong FileSystemId;
        public ulong Flags;
        public ulong MaxNameLength;
        public unsafe fixed int Spare[6];
    }

    [LibraryImport("libc", EntryPoint = "statvfs", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static unsafe partial int StatVfs(string path, StatVfsBuffer* buffer);
}
