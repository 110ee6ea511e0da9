namespace Gregor.Metadata;

/// <summary>
/// <c>meta.properties</c> in every log dir (<see cref="MetaPropertiesFile"/>): it ties the data in a directory to
/// one cluster and one node, so a broker pointed at another cluster's or another node's data refuses to start
/// instead of mixing them. A node started on dirs nobody formatted formats them itself (Gregor's single-node
/// start); <c>gregor storage format</c> does it beforehand with a chosen cluster id.
/// </summary>
public static class MetaProperties
{
    public const string FileName = "meta.properties";

    /// <summary>
    /// Reads meta.properties in each of <paramref name="logDirs"/> (creating the dirs), checks they agree with each
    /// other and with <paramref name="nodeId"/>, and writes the file where it is missing. The cluster id is the one
    /// stored, or a new one (a random Kafka UUID in its 22-character text form) when no dir has one yet.
    /// </summary>
    /// <exception cref="MetaPropertiesMismatchException">A dir belongs to another node or cluster, two dirs share a directory id, or a file is unreadable.</exception>
    public static string EnsureConsistent(IReadOnlyList<string> logDirs, int nodeId, Random random)
    {
        ArgumentNullException.ThrowIfNull(logDirs);
        ArgumentNullException.ThrowIfNull(random);
        if (logDirs.Count == 0) throw new ArgumentException("at least one log dir is needed", nameof(logDirs));
        foreach (string dir in logDirs) Directory.CreateDirectory(dir);
        var stored = ReadFormatted(logDirs, expectedClusterId: null, nodeId);
        string clusterId = stored.Count > 0 ? stored.Values.First().ClusterId : Gregor.Protocol.Primitives.KafkaUuid.NewRandom(random).ToString();
        WriteMissing(logDirs, stored, clusterId, nodeId, random);
        return clusterId;
    }

    /// <summary>
    /// The meta.properties of every dir that has one, by dir, after checking they name <paramref name="nodeId"/>, one
    /// cluster (<paramref name="expectedClusterId"/> when given) and distinct directory ids.
    /// </summary>
    internal static Dictionary<string, MetaPropertiesFile> ReadFormatted(IReadOnlyList<string> logDirs, string? expectedClusterId, int nodeId)
    {
        var stored = new Dictionary<string, MetaPropertiesFile>(StringComparer.Ordinal);
        string? clusterIdSource = null;
        foreach (string dir in logDirs)
        {
            string path = Path.Combine(dir, FileName);
            if (!File.Exists(path)) continue;
            var file = MetaPropertiesFile.Read(path);
            if (file.NodeId != nodeId)
                throw new MetaPropertiesMismatchException($"Stored node id {file.NodeId} in {path} doesn't match the configured node.id {nodeId}: this log dir belongs to another node.");
            if (expectedClusterId is not null && file.ClusterId != expectedClusterId)
                throw new MetaPropertiesMismatchException($"{path} has cluster.id {file.ClusterId}, not {expectedClusterId}: this log dir belongs to another cluster.");
            if (clusterIdSource is not null && stored[clusterIdSource].ClusterId != file.ClusterId)
                throw new MetaPropertiesMismatchException($"Log dirs belong to different clusters: {Path.Combine(clusterIdSource, FileName)} has cluster.id {stored[clusterIdSource].ClusterId}, {path} has {file.ClusterId}.");
            if (file.DirectoryId is { } id && stored.FirstOrDefault(s => s.Value.DirectoryId == id).Key is { } twin)
                throw new MetaPropertiesMismatchException($"{path} and {Path.Combine(twin, FileName)} have the same directory.id {id}: one dir was copied from the other.");
            clusterIdSource ??= dir;
            stored[dir] = file;
        }
        return stored;
    }

    /// <summary>Writes meta.properties into each dir of <paramref name="logDirs"/> not in <paramref name="stored"/>, each with a directory id of its own; returns those dirs.</summary>
    internal static List<string> WriteMissing(IReadOnlyList<string> logDirs, Dictionary<string, MetaPropertiesFile> stored, string clusterId, int nodeId, Random random)
    {
        var taken = stored.Values.Select(f => f.DirectoryId).OfType<Gregor.Protocol.Primitives.KafkaUuid>().ToHashSet();
        var written = new List<string>();
        foreach (string dir in logDirs)
        {
            if (stored.ContainsKey(dir)) continue;
            var id = MetaPropertiesFile.NewDirectoryId(random);
            while (!taken.Add(id)) id = MetaPropertiesFile.NewDirectoryId(random);
            Directory.CreateDirectory(dir);
            new MetaPropertiesFile(clusterId, nodeId, id).Write(Path.Combine(dir, FileName));
            written.Add(dir);
        }
        return written;
    }
}
