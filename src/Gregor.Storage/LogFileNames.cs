using System.Globalization;

namespace Gregor.Storage;

/// <summary>
/// Kafka's on-disk names: a partition directory <c>&lt;topic&gt;-&lt;partition&gt;</c> holding
/// <c>&lt;20-digit base offset&gt;.log</c>, <c>.index</c> and <c>.timeindex</c>, plus the transient
/// suffixes the cleaner and retention append to whole file names.
/// </summary>
public static class LogFileNames
{
    public const string LogExtension = ".log";
    public const string OffsetIndexExtension = ".index";
    public const string TimeIndexExtension = ".timeindex";

    /// <summary>A segment scheduled for deletion after file.delete.delay.ms.</summary>
    public const string DeletedSuffix = ".deleted";

    /// <summary>A segment the cleaner is still writing; never visible, removed on recovery.</summary>
    public const string CleanedSuffix = ".cleaned";

    /// <summary>A fully written cleaned segment that is replacing older ones; completed on recovery.</summary>
    public const string SwapSuffix = ".swap";

    /// <summary>Written on clean close, removed on open: its absence means the last stop was unclean.</summary>
    public const string CleanShutdownMarker = ".kafka_cleanshutdown";

    /// <summary>Per-log state: log start offset, recovery point, high watermark, cleaner position.</summary>
    public const string StateCheckpoint = "log-state-checkpoint";

    public static string PartitionDirectoryName(string topic, int partition)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        return topic + "-" + partition.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Splits <c>&lt;topic&gt;-&lt;partition&gt;</c> at the last dash (topics may contain dashes).</summary>
    public static bool TryParsePartitionDirectoryName(string name, out string topic, out int partition)
    {
        topic = "";
        partition = -1;
        int dash = name.LastIndexOf('-');
        if (dash <= 0 || dash == name.Length - 1)
            return false;
        if (!int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out partition))
            return false;
        topic = name[..dash];
        return true;
    }

    public static string OffsetPrefix(long baseOffset) => baseOffset.ToString("D20", CultureInfo.InvariantCulture);

    public static string LogFile(string directory, long baseOffset, string suffix = "") =>
        Path.Combine(directory, OffsetPrefix(baseOffset) + LogExtension + suffix);

    public static string OffsetIndexFile(string directory, long baseOffset, string suffix = "") =>
        Path.Combine(directory, OffsetPrefix(baseOffset) + OffsetIndexExtension + suffix);

    public static string TimeIndexFile(string directory, long baseOffset, string suffix = "") =>
        Path.Combine(directory, OffsetPrefix(baseOffset) + TimeIndexExtension + suffix);

    /// <summary>
    /// Parses a segment file name such as <c>00000000000000000042.log.swap</c> into its base offset,
    /// extension (<c>.log</c>, <c>.index</c>, <c>.timeindex</c>) and trailing suffix (maybe empty).
    /// </summary>
    public static bool TryParseSegmentFile(string fileName, out long baseOffset, out string extension, out string suffix)
    {
        baseOffset = -1;
        extension = "";
        suffix = "";
        if (fileName.Length < 21 || fileName[20] != '.')
            return false;
        if (!long.TryParse(fileName.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out baseOffset))
            return false;
        string rest = fileName[20..];
        foreach (string ext in (ReadOnlySpan<string>)[TimeIndexExtension, OffsetIndexExtension, LogExtension])
        {
            if (!rest.StartsWith(ext, StringComparison.Ordinal))
                continue;
            string tail = rest[ext.Length..];
            if (tail is "" or DeletedSuffix or CleanedSuffix or SwapSuffix)
            {
                extension = ext;
                suffix = tail;
                return true;
            }
        }
        return false;
    }
}
