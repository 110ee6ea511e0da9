using System.Runtime.InteropServices;

namespace Gregor.Storage;

/// <summary>
/// madvise for index mappings. A fault on a file mapping makes Linux read ahead around it (read_ahead_kb, which
/// can be megabytes); on an active index, preallocated as a sparse file, that means allocating and zero-filling
/// megabytes of page cache per segment on its first entry, and freeing them again when the index is trimmed.
/// Advising random access makes each fault bring in one page.
/// </summary>
internal static unsafe partial class MemoryAdvice
{
    private const int Random = 1; // MADV_RANDOM on Linux

    /// <summary>A hint: failure changes nothing but speed, so it is ignored.</summary>
    public static void AdviseRandomAccess(byte* start, long length)
    {
        if (!OperatingSystem.IsLinux() || length <= 0)
            return;
        _ = Madvise(start, (nuint)length, Random);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(byte* address, nuint length, int advice);
}
