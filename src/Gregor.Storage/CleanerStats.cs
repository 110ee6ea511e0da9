namespace Gregor.Storage;

/// <summary>What one cleaning pass of one log did.</summary>
public sealed record CleanerStats(
    long FirstDirtyOffset,
    long EndOffset,
    int SegmentsCleaned,
    int GroupsSwapped,
    int GroupsAborted,
    long BytesRead,
    long BytesWritten,
    long RecordsRead,
    long RecordsRetained,
    long TombstonesRemoved,
    int KeysMapped);
