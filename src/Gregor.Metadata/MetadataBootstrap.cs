namespace Gregor.Metadata;

/// <summary>
/// Opening a node's metadata at start: check (or write) meta.properties in every log dir, open the
/// metadata log in the first one, and replay it (its newest snapshot, then the log after it) into the image.
/// </summary>
public static class MetadataBootstrap
{
    public static (MetadataLog Log, MetadataImage Image) Open(IReadOnlyList<string> logDirs, int nodeId, Random random, TimeProvider time,
        MetadataSnapshotPolicy? snapshots = null)
    {
        ArgumentNullException.ThrowIfNull(logDirs);
        string clusterId = MetaProperties.EnsureConsistent(logDirs, nodeId, random);
        var log = MetadataLog.Open(logDirs[0], nodeId, random, time, snapshots);
        try
        {
            return (log, log.Replay(MetadataImage.Empty(clusterId, nodeId)));
        }
        catch
        {
            log.Dispose();
            throw;
        }
    }
}
