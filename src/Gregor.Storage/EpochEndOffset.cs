namespace Gregor.Storage;

/// <summary>
/// The answer to "where does my epoch end in your log" (OffsetForLeaderEpoch): the largest epoch the log knows at or
/// below the one asked for, and the offset where the next larger epoch starts (the log end offset for the latest one).
/// (-1, -1) when the log knows no such epoch.
/// </summary>
public readonly record struct EpochEndOffset(int Epoch, long EndOffset)
{
    public const int UndefinedEpoch = -1;
    public const long UndefinedEndOffset = -1;

    public static EpochEndOffset Undefined => new(UndefinedEpoch, UndefinedEndOffset);

    public bool IsUndefined => EndOffset == UndefinedEndOffset;
}
