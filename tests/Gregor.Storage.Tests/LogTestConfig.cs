namespace Gregor.Storage.Tests;

internal static class LogTestConfig
{
    /// <summary>Small segments and dense indexes so tests roll and index quickly; deletions immediate.</summary>
    public static LogConfig Small(int segmentBytes = 4096, int indexInterval = 256) => LogConfig.Default with
    {
        SegmentBytes = segmentBytes,
        IndexIntervalBytes = indexInterval,
        SegmentIndexBytes = 4096,
        FileDeleteDelayMs = 0,
        RetentionMs = -1,
    };
}
