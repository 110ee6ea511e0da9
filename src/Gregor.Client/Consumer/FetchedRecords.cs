namespace Gregor.Client.Consumer;

/// <summary>
/// The records one Fetch response returned for one partition, waiting to be consumed: a slice of the shared
/// response frame, how far the consumer has read into it (whole batches), and for read_committed the aborted
/// transactions the broker listed for that range.
/// </summary>
internal sealed class FetchedRecords(FrameLease lease, ReadOnlyMemory<byte> records, AbortedTransactions? aborted)
{
    public FrameLease Lease { get; } = lease;

    public ReadOnlyMemory<byte> Records { get; } = records;

    /// <summary>Where the next batch to decode starts in <see cref="Records"/>.</summary>
    public int ReadPosition { get; set; }

    public AbortedTransactions? Aborted { get; } = aborted;
}
