using System.Globalization;
using System.Text;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata;

/// <summary>
/// <c>meta.properties</c> in every log dir, in Kafka's KRaft form (<c>version=1</c>, <c>cluster.id</c>,
/// <c>node.id</c>): it ties the data in a directory to one cluster and one node, so a broker pointed
/// at another cluster's or another node's data refuses to start instead of mixing them.
/// </summary>
public static class MetaProperties
{
    public const string FileName = "meta.properties";
    private const int MaxFileBytes = 64 * 1024;

    /// <summary>
    /// Reads meta.properties in each of <paramref name="logDirs"/> (creating the dirs), checks they agree with each
    /// other and with <paramref name="nodeId"/>, and writes the file where it is missing. The cluster id is the one
    /// stored, or a new one (a random Kafka UUID in its 22-character text form) when no dir has one yet.
    /// </summary>
    /// <exception cref="MetaPropertiesMismatchException">A dir belongs to another node or cluster, or the file is unreadable.</exception>
    public static string EnsureConsistent(IReadOnlyList<string> logDirs, int nodeId, Random random)
    {
        ArgumentNullException.ThrowIfNull(logDirs);
        ArgumentNullException.ThrowIfNull(random);
        if (logDirs.Count == 0) throw new ArgumentException("at least one log dir is needed", nameof(logDirs));
        string? clusterId = null;
        string? clusterIdSource = null;
        var missing = new List<string>();
        foreach (string dir in logDirs)
        {
            Directory.CreateDirectory(dir);
            string path = Path.Combine(dir, FileName);
            if (!File.Exists(path))
            {
                missing.Add(path);
                continue;
            }
            var properties = Read(path);
            if (!properties.TryGetValue("version", out string? version) || version != "1")
                throw new MetaPropertiesMismatchException($"{path} has version '{version}'; only version 1 (KRaft) is understood.");
            if (!properties.TryGetValue("node.id", out string? storedNode) || !int.TryParse(storedNode, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int stored))
                throw new MetaPropertiesMismatchException($"{path} has no valid node.id.");
            if (stored != nodeId)
                throw new MetaPropertiesMismatchException($"Stored node id {stored} in {path} doesn't match the configured node.id {nodeId}: this log dir belongs to another node.");
            if (!properties.TryGetValue("cluster.id", out string? storedCluster) || storedCluster.Length == 0)
                throw new MetaPropertiesMismatchException($"{path} has no cluster.id.");
            if (clusterId is not null && clusterId != storedCluster)
                throw new MetaPropertiesMismatchException($"Log dirs belong to different clusters: {clusterIdSource} has cluster.id {clusterId}, {path} has {storedCluster}.");
            clusterId = storedCluster;
            clusterIdSource = path;
        }
        clusterId ??= KafkaUuid.NewRandom(random).ToString();
        foreach (string path in missing)
            Write(path, clusterId, nodeId);
        return clusterId;
    }

    internal static Dictionary<string, string> Read(string path)
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

    private static void Write(string path, string clusterId, int nodeId)
    {
        string text = "#\n#Written by Gregor\n" +
            "version=1\n" +
            $"cluster.id={clusterId}\n" +
            $"node.id={nodeId.ToString(CultureInfo.InvariantCulture)}\n";
        // Write aside, fsync, then rename: a crash leaves the old state or the whole new file.
        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(Encoding.UTF8.GetBytes(text));
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }
}
