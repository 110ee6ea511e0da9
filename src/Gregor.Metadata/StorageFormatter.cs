using Gregor.Protocol.Primitives;

namespace Gregor.Metadata;

/// <summary>What <see cref="StorageFormatter.Format"/> did: the dirs it wrote meta.properties into and those already formatted for this cluster and node.</summary>
public sealed record StorageFormatResult(IReadOnlyList<string> Formatted, IReadOnlyList<string> AlreadyFormatted);

/// <summary>
/// <c>gregor storage format</c>, as Kafka's <c>kafka-storage format</c>: writes meta.properties (version 1, the given
/// cluster id, the node id, a directory id per dir) into every log dir. A dir formatted for another cluster or node
/// is always refused; one formatted for this cluster and node is refused too unless formatted dirs are to be
/// skipped (<c>--ignore-formatted</c>), so formatting twice by mistake is noticed.
/// </summary>
public static class StorageFormatter
{
    /// <exception cref="StorageFormatException">The cluster id is not a Kafka UUID, or a dir is already formatted.</exception>
    /// <exception cref="MetaPropertiesMismatchException">A dir belongs to another cluster or node, or its meta.properties is unreadable.</exception>
    public static StorageFormatResult Format(IReadOnlyList<string> logDirs, string clusterId, int nodeId, bool ignoreFormatted, Random random)
    {
        ArgumentNullException.ThrowIfNull(logDirs);
        ArgumentNullException.ThrowIfNull(clusterId);
        ArgumentNullException.ThrowIfNull(random);
        if (logDirs.Count == 0) throw new StorageFormatException("There is no log dir to format (log.dirs or log.dir).");
        if (!KafkaUuid.TryParse(clusterId, out _))
            throw new StorageFormatException($"Cluster id '{clusterId}' is not a Kafka UUID (22 characters of URL-safe base64, as 'gregor storage random-uuid' prints).");
        if (nodeId < 0) throw new StorageFormatException($"Node id {nodeId} is negative; set node.id.");
        var stored = MetaProperties.ReadFormatted(logDirs, clusterId, nodeId);
        if (stored.Count > 0 && !ignoreFormatted)
            throw new StorageFormatException($"Log dir {stored.Keys.First()} is already formatted. Use --ignore-formatted to skip formatted dirs and format the others.");
        var written = MetaProperties.WriteMissing(logDirs, stored, clusterId, nodeId, random);
        return new StorageFormatResult(written, logDirs.Where(stored.ContainsKey).ToList());
    }
}
