using System.Globalization;
using System.Text;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata;

/// <summary>
/// One log dir's <c>meta.properties</c> in Kafka's KRaft form: <c>version=1</c>, <c>cluster.id</c>, <c>node.id</c>
/// and (Kafka 3.7 on) <c>directory.id</c>, a Kafka UUID of the dir itself, distinct per dir.
/// </summary>
public sealed record MetaPropertiesFile(string ClusterId, int NodeId, KafkaUuid? DirectoryId)
{
    private const int MaxFileBytes = 64 * 1024;

    /// <summary>Kafka reserves the first 100 directory ids (high bits zero) for markers such as "unassigned" and "lost".</summary>
    public static bool IsReservedDirectoryId(KafkaUuid id) =>
        id.MostSignificantBits == 0 && id.LeastSignificantBits is >= 0 and < 100;

    /// <summary>A new directory id: random, never a reserved one.</summary>
    public static KafkaUuid NewDirectoryId(Random random)
    {
        while (true)
        {
            var id = KafkaUuid.NewRandom(random);
            if (!IsReservedDirectoryId(id)) return id;
        }
    }

    /// <summary>Reads and checks the file at <paramref name="path"/>.</summary>
    /// <exception cref="MetaPropertiesMismatchException">The file is too large, of another version, or lacks or garbles a field.</exception>
    public static MetaPropertiesFile Read(string path)
    {
        var properties = ReadProperties(path);
        if (!properties.TryGetValue("version", out string? version) || version != "1")
            throw new MetaPropertiesMismatchException($"{path} has version '{version}'; only version 1 (KRaft) is understood.");
        if (!properties.TryGetValue("node.id", out string? storedNode) || !int.TryParse(storedNode, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int nodeId))
            throw new MetaPropertiesMismatchException($"{path} has no valid node.id.");
        if (!properties.TryGetValue("cluster.id", out string? clusterId) || clusterId.Length == 0)
            throw new MetaPropertiesMismatchException($"{path} has no cluster.id.");
        KafkaUuid? directoryId = null;
        if (properties.TryGetValue("directory.id", out string? dirText))
        {
            if (!KafkaUuid.TryParse(dirText, out var parsed))
                throw new MetaPropertiesMismatchException($"{path} has directory.id '{dirText}', which is not a Kafka UUID.");
            if (IsReservedDirectoryId(parsed))
                throw new MetaPropertiesMismatchException($"{path} has directory.id {dirText}, one of the ids Kafka reserves.");
            directoryId = parsed;
        }
        return new MetaPropertiesFile(clusterId, nodeId, directoryId);
    }

    /// <summary>Writes the file into <paramref name="path"/>: aside, fsync, then rename, so a crash leaves the old state or the whole new file.</summary>
    public void Write(string path)
    {
        var text = new StringBuilder("#\n#Written by Gregor\n")
            .Append("version=1\n")
            .Append("cluster.id=").Append(ClusterId).Append('\n')
            .Append("node.id=").Append(NodeId.ToString(CultureInfo.InvariantCulture)).Append('\n');
        if (DirectoryId is { } id) text.Append("directory.id=").Append(id.ToString()).Append('\n');
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(text.ToString()));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    private static Dictionary<string, string> ReadProperties(string path)
    {
        var info = new FileInfo(path);
        if (info.Length > MaxFileBytes)
            throw new MetaPropertiesMismatchException($"{path} is {info.Length} bytes, more than a meta.properties can be ({MaxFileBytes}).");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string raw in File.ReadAllLines(path, Encoding.UTF8))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || line[0] == '!') continue;
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) continue;
            result[line[..eq].Trim()] = line[(eq + 1)..].Trim();
        }
        return result;
    }
}
