using System.Globalization;
using System.Text;

namespace Gregor.Storage;

/// <summary>The offsets a log persists besides its segments.</summary>
public readonly record struct LogState(long LogStartOffset, long RecoveryPoint, long HighWatermark, long CleanerOffset);

/// <summary>
/// A per-log text file in the partition directory holding <see cref="LogState"/>, in the style of Kafka's
/// checkpoint files (a version line, an entry count, then name-value lines). Kafka keeps these values in
/// per-data-directory files; one file per log keeps a log self-contained. Written to a temporary file,
/// fsynced and renamed over the old one, so a crash leaves either the old or the new state.
/// </summary>
public static class LogStateCheckpoint
{
    private const int Version = 0;
    private const int MaxFileBytes = 4096;
    private const string TemporarySuffix = ".tmp";

    public static string PathIn(string directory) => Path.Combine(directory, LogFileNames.StateCheckpoint);

    /// <summary>
    /// Writes the state. Durably (the default): to a temporary file, fsynced, renamed over the old one, and the
    /// directory fsynced. Otherwise (many logs closing at once, the caller syncs the whole file system afterwards)
    /// over the old file in place: creating and renaming files is what costs, and a crash before the sync leaves at
    /// worst a torn file, which the next open reads as no checkpoint and recovers the whole log from.
    /// </summary>
    public static void Write(string directory, LogState state, bool durable = true)
    {
        string path = PathIn(directory);
        string temporary = path + TemporarySuffix;
        var text = new StringBuilder()
            .Append(Version.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("4\n")
            .Append("log-start-offset ").Append(state.LogStartOffset.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("recovery-point ").Append(state.RecoveryPoint.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("high-watermark ").Append(state.HighWatermark.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("cleaner-offset ").Append(state.CleanerOffset.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .ToString();
        byte[] bytes = Encoding.ASCII.GetBytes(text);
        if (!durable)
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle file = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
            RandomAccess.Write(file, bytes, 0);
            RandomAccess.SetLength(file, bytes.Length);
            return;
        }
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        DirectorySync.Flush(directory);
    }

    /// <summary>The name of a checkpoint being written (a crash can leave one behind; opening the log removes it).</summary>
    public static string TemporaryName => LogFileNames.StateCheckpoint + TemporarySuffix;

    /// <summary>Reads the file; false when it is missing or malformed (the caller then assumes nothing was flushed).</summary>
    public static bool TryRead(string directory, out LogState state, out string? problem)
    {
        state = default;
        problem = null;
        string path = PathIn(directory);
        string text;
        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(file);
            if (length > MaxFileBytes)
            {
                problem = $"{path} is {length} bytes, more than a checkpoint can be";
                return false;
            }
            Span<byte> bytes = stackalloc byte[MaxFileBytes];
            int read = 0;
            while (read < length)
            {
                int got = RandomAccess.Read(file, bytes[read..(int)length], read);
                if (got == 0)
                    break;
                read += got;
            }
            text = Encoding.ASCII.GetString(bytes[..read]);
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (lines.Length < 2 || lines[0] != "0" || !int.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count != lines.Length - 2)
        {
            problem = $"{path} has an unknown version or a wrong entry count";
            return false;
        }
        long? start = null, recovery = null, highWatermark = null, cleaner = null;
        foreach (string line in lines.AsSpan(2))
        {
            string[] parts = line.Split(' ');
            if (parts.Length != 2 || !long.TryParse(parts[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value) || value < 0)
            {
                problem = $"{path} has a malformed line '{line}'";
                return false;
            }
            switch (parts[0])
            {
                case "log-start-offset": start = value; break;
                case "recovery-point": recovery = value; break;
                case "high-watermark": highWatermark = value; break;
                case "cleaner-offset": cleaner = value; break;
                default:
                    problem = $"{path} has an unknown entry '{parts[0]}'";
                    return false;
            }
        }
        if (start is null || recovery is null || highWatermark is null || cleaner is null)
        {
            problem = $"{path} lacks an entry";
            return false;
        }
        state = new LogState(start.Value, recovery.Value, highWatermark.Value, cleaner.Value);
        return true;
    }
}
