using System.Runtime.InteropServices;

namespace Gregor.Storage;

/// <summary>
/// fsync of a directory, which makes file creations, renames and deletions in it durable (POSIX needs this
/// separately from the files' own fsync). Windows has no equivalent and needs none for NTFS metadata.
/// </summary>
public static partial class DirectorySync
{
    private const int ReadOnly = 0;

    public static unsafe void Flush(string directory)
    {
        if (!OperatingSystem.IsWindows())
            OnDirectory(directory, &Fsync, "fsync of directory");
    }

    /// <summary>
    /// Makes everything written to the file system holding <paramref name="directory"/> durable, file data and
    /// metadata alike (Linux syncfs; elsewhere sync, which flushes every file system). One call replaces the fsyncs of
    /// many logs closing at once. Throws IOException when the kernel reports a writeback error (Linux 5.8 and later).
    /// </summary>
    public static unsafe void SyncFileSystem(string directory)
    {
        if (OperatingSystem.IsWindows())
            return;
        if (OperatingSystem.IsLinux())
            OnDirectory(directory, &SyncFs, "syncfs of the file system holding");
        else
            Sync();
    }

    /// <summary>Opens the directory, calls <paramref name="call"/> on its descriptor and closes it; IOException on failure.</summary>
    private static unsafe void OnDirectory(string directory, delegate*<int, int> call, string what)
    {
        int fd = Open(directory, ReadOnly);
        if (fd < 0)
            throw new IOException($"Cannot open directory {directory} to sync it: errno {Marshal.GetLastPInvokeError()}.");
        try
        {
            if (call(fd) != 0)
                throw new IOException($"{what} {directory} failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    private static partial int SyncFs(int fd);

    [LibraryImport("libc", EntryPoint = "sync")]
    private static partial void Sync();

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
