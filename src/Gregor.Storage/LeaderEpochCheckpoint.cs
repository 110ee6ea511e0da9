using System.Globalization;
using System.Text;

namespace Gregor.Storage;

/// <summary>
/// The <c>leader-epoch-checkpoint</c> file of a partition directory, in Kafka's text format: a version line (0), an
/// entry count, then one <c>epoch startOffset</c> line per entry. Written to a temporary file, fsynced, renamed over
/// the old one and the directory fsynced, so a crash leaves the old or the new list, never a mix.
/// </summary>
public static class LeaderEpochCheckpoint
{
    public const string FileName = "leader-epoch-checkpoint";
    public const string TemporaryName = FileName + ".tmp";

    /// <summary>More entries than any real log has (one per leadership change that wrote data); a larger count is corruption.</summary>
    public const int MaxEntries = 100_000;

    private const int Version = 0;
    // "2147483647 9223372036854775807\n": the longest line a valid entry can take.
    private const int MaxLineBytes = 31;
    private const long MaxFileBytes = 2L * MaxLineBytes + (long)MaxEntries * MaxLineBytes;

    public static string PathIn(string directory) => Path.Combine(directory, FileName);

    /// <summary>
    /// Writes the entries. Durably (the default): to a temporary file, fsynced, renamed over the old one, and the
    /// directory fsynced. Otherwise (a new log's empty list) in place with no fsync: a lost or torn file is rebuilt
    /// from the segments when the log opens.
    /// </summary>
    public static void Write(string directory, ReadOnlySpan<LeaderEpochEntry> entries, bool durable = true)
    {
        var text = new StringBuilder(16 + entries.Length * 16);
        text.Append(Version.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(entries.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
        foreach (LeaderEpochEntry entry in entries)
        {
            text.Append(entry.Epoch.ToString(CultureInfo.InvariantCulture)).Append(' ')
                .Append(entry.StartOffset.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }
        string path = PathIn(directory);
        byte[] bytes = Encoding.ASCII.GetBytes(text.ToString());
        if (!durable)
        {
            File.WriteAllBytes(path, bytes);
            return;
        }
        string temporary = Path.Combine(directory, TemporaryName);
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
        DirectorySync.Flush(directory);
    }

    /// <summary>
    /// Reads the file. False with a null <paramref name="problem"/> when it does not exist; false with the reason when
    /// it is malformed (unknown version, a count that disagrees with the lines or exceeds <see cref="MaxEntries"/>, a
    /// line that is not two non-negative numbers). Entries are returned as written; the caller applies them in order.
    /// </summary>
    public static bool TryRead(string directory, out LeaderEpochEntry[] entries, out string? problem)
    {
        entries = [];
        problem = null;
        string path = PathIn(directory);
        byte[] bytes;
        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            long length = RandomAccess.GetLength(file);
            if (length > MaxFileBytes)
            {
                problem = $"{path} is {length} bytes, more than {MaxEntries} entries can take";
                return false;
            }
            bytes = new byte[length];
            int read = 0;
            while (read < bytes.Length)
            {
                int got = RandomAccess.Read(file, bytes.AsSpan(read), read);
                if (got == 0)
                    break;
                read += got;
            }
            if (read < bytes.Length)
            {
                problem = $"{path} ended after {read} of {bytes.Length} bytes";
                return false;
            }
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            return false;
        }
        string[] lines = Encoding.ASCII.GetString(bytes).Split('\n');
        // The last line ends with a newline, which leaves one empty string after it.
        int lineCount = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        if (lineCount < 2 || lines[0] != "0")
        {
            problem = $"{path} has no version 0 header";
            return false;
        }
        if (!int.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count > MaxEntries)
        {
            problem = $"{path} has an entry count '{lines[1]}' that is not a number up to {MaxEntries}";
            return false;
        }
        if (count != lineCount - 2)
        {
            problem = $"{path} says {count} entries but holds {lineCount - 2} lines";
            return false;
        }
        var parsed = new LeaderEpochEntry[count];
        for (int index = 0; index < count; index++)
        {
            string line = lines[index + 2];
            int space = line.IndexOf(' ');
            if (space <= 0
                || !int.TryParse(line.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out int epoch)
                || !long.TryParse(line.AsSpan(space + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long startOffset))
            {
                problem = $"{path} has a malformed entry '{line}'";
                return false;
            }
            parsed[index] = new LeaderEpochEntry(epoch, startOffset);
        }
        entries = parsed;
        return true;
    }
}
