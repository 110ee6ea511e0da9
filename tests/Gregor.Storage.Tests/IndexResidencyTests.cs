using System.IO.MemoryMappedFiles;
using System.Runtime.InteropServices;

namespace Gregor.Storage.Tests;

/// <summary>What a new active segment's preallocated indexes cost in memory: the pages written, not the read-ahead around them.</summary>
public sealed unsafe partial class IndexResidencyTests
{
    [Fact]
    public void The_first_entries_of_a_preallocated_index_bring_only_their_own_pages_into_the_page_cache()
    {
        Assert.True(OperatingSystem.IsLinux(), "storage runs on Linux; this checks the page cache with mincore");
        using var dir = new TempLogDirectory();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 64 << 20, indexInterval: 0) with { SegmentIndexBytes = 10 << 20 }, new ManualTimeProvider());
        for (int i = 0; i < 4; i++)
            log.Append(TestBatches.Simple(2, 1000 + i, valueBytes: 50));
        Assert.True(log.ActiveSegment.OffsetIndex.Entries >= 2);
        Assert.True(log.ActiveSegment.TimeIndex.Entries >= 2);

        // Without the advice, the first fault reads ahead read_ahead_kb of holes (128 KiB by default, often far more).
        Assert.InRange(ResidentPages(log.ActiveSegment.OffsetIndex.FilePath), 1, 4);
        Assert.InRange(ResidentPages(log.ActiveSegment.TimeIndex.FilePath), 1, 4);
    }

    private static int ResidentPages(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var map = MemoryMappedFile.CreateFromFile(file, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: true);
        using var view = map.CreateViewAccessor(0, file.Length, MemoryMappedFileAccess.Read);
        byte* pointer = null;
        view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        try
        {
            int pages = (int)((file.Length + Environment.SystemPageSize - 1) / Environment.SystemPageSize);
            byte[] residency = new byte[pages];
            fixed (byte* vector = residency)
                Assert.Equal(0, Mincore(pointer, (nuint)file.Length, vector));
            return residency.Count(b => (b & 1) != 0);
        }
        finally
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
        }
    }

    [LibraryImport("libc", EntryPoint = "mincore", SetLastError = true)]
    private static partial int Mincore(byte* address, nuint length, byte* vector);
}
