using Gregor.Metadata;
using Gregor.Metadata.Records;

namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// The controller's metadata log in memory: an append is committed at once (the quorum behind the controller is the
/// Raft simulation's subject, not this one's), and catching up folds the records through the real image fold.
/// </summary>
internal sealed class MemoryJournal : IMetadataJournal
{
    private readonly List<IMetadataRecord> _records = [];
    private int _folded;

    public long Append(IReadOnlyList<IMetadataRecord> records)
    {
        _records.AddRange(records);
        return _records.Count - 1;
    }

    public MetadataImage CatchUp(MetadataImage image)
    {
        for (; _folded < _records.Count; _folded++)
            image = image.Apply(_records[_folded], _folded);
        return image;
    }
}
