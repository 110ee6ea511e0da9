using Gregor.Metadata.Records;

namespace Gregor.Metadata;

/// <summary>
/// Where the controller commits an operation's records. On one node it is the local metadata log
/// (append one batch, fsync); with a Raft quorum it becomes "append on the leader and wait until a
/// majority has it" — the controller does not change, only this seam.
/// </summary>
public interface IMetadataJournal
{
    /// <summary>Durably appends the records as one atomic batch and returns the offset of the last one once committed.</summary>
    long Append(IReadOnlyList<IMetadataRecord> records);

    /// <summary>
    /// Folds every committed batch not yet folded into <paramref name="image"/> and returns the result: the one way
    /// the log becomes images, at start (replay) and after each commit (publication) alike.
    /// </summary>
    MetadataImage CatchUp(MetadataImage image);
}
