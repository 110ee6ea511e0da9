using System.Globalization;
using Gregor.Protocol.Primitives;

namespace Gregor.Broker.Replication;

/// <summary>
/// The <c>partition.metadata</c> file Kafka keeps in each partition directory: the id of the topic the log
/// belongs to, so a log left behind by a deleted topic is never served as a new topic of the same name.
/// </summary>
internal static class PartitionMetadataFile
{
    public const string FileName = "partition.metadata";
    private const int Version = 0;
    private const long MaxFileBytes = 4096;

    public static void Write(string partitionDirectory, KafkaUuid topicId)
    {
        string path = Path.Combine(partitionDirectory, FileName);
        string temporary = path + ".tmp";
        string text = string.Create(CultureInfo.InvariantCulture, $"version: {Version}\ntopic_id: {topicId}\n");
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(System.Text.Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The topic id in the file, or null when there is no file or it is not one this broker understands.</summary>
    /// <remarks>One small read, no stream or reader: every log's file is read when the broker starts.</remarks>
    public static KafkaUuid? TryRead(string partitionDirectory)
    {
        string text;
        try
        {
            using Microsoft.Win32.SafeHandles.SafeFileHandle file = File.OpenHandle(Path.Combine(partitionDirectory, FileName), FileMode.Open,
                FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> bytes = stackalloc byte[(int)MaxFileBytes];
            int read = RandomAccess.Read(file, bytes, 0);
            if (read == bytes.Length && RandomAccess.GetLength(file) > MaxFileBytes)
                return null;
            text = System.Text.Encoding.UTF8.GetString(bytes[..read]);
        }
        catch (Exception error) when (error is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        KafkaUuid? id = null;
        bool versionKnown = false;
        foreach (string line in text.Split('\n'))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
                continue;
            string key = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (key == "version")
                versionKnown = value == "0";
            else if (key == "topic_id" && KafkaUuid.TryParse(value, out KafkaUuid parsed))
                id = parsed;
        }
        return versionKnown ? id : null;
    }
}
