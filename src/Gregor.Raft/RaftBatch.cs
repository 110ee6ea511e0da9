namespace Gregor.Raft;

/// <summary>
/// One entry of the replicated log: a batch of <see cref="RecordCount"/> records that starts at
/// <see cref="BaseOffset"/>, appended by the leader of <see cref="Epoch"/>. The payload is opaque to
/// Raft (the metadata layer's records). A control batch is Raft's own (the leader-change marker each new
/// leader appends, which is what lets it commit entries of earlier epochs); readers of committed data skip it.
/// </summary>
public sealed record RaftBatch(long BaseOffset, int Epoch, int RecordCount, bool IsControl, ReadOnlyMemory<byte> Payload)
{
    /// <summary>The offset after the batch's last record.</summary>
    public long EndOffset => BaseOffset + RecordCount;

    /// <summary>What the batch costs to hold and send: its payload plus a fixed header, as a record batch would.</summary>
    public int SizeInBytes => Payload.Length + 61;

    public RaftBatch WithBaseOffset(long baseOffset) => this with { BaseOffset = baseOffset };
}
