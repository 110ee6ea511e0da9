namespace Gregor.Protocol.Records;

/// <summary>
/// Walks the entries of a records blob (a Produce request's records, a Fetch response's
/// records, a span of a log segment), giving each batch's bytes after checking its framing
/// only. Entries may be v2 batches or v0/v1 messages: see <see cref="CurrentMagic"/>. Stops at
/// the first framing defect and reports it in <see cref="Error"/>; a Fetch reader may treat
/// a <see cref="RecordBatchError.TruncatedBatch"/> at the end as the partial batch Kafka allows there.
/// </summary>
public ref struct RecordBatchEnumerator
{
    private readonly ReadOnlySpan<byte> _records;
    private readonly int _maxBatchBytes;
    private int _next;

    public RecordBatchEnumerator(ReadOnlySpan<byte> records, int maxBatchBytes = RecordBatchValidationOptions.DefaultMaxBatchBytes)
    {
        _records = records;
        _maxBatchBytes = maxBatchBytes;
        _next = 0;
        CurrentPosition = 0;
        Current = default;
        CurrentMagic = 0;
        Error = default;
    }

    /// <summary>The current entry's bytes, exactly its declared size.</summary>
    public ReadOnlySpan<byte> Current { get; private set; }

    /// <summary>Where the current entry starts in the blob (to slice a Memory the blob came from).</summary>
    public int CurrentPosition { get; private set; }

    public byte CurrentMagic { get; private set; }

    /// <summary>Why enumeration stopped early, with the position in the blob; valid when it reached the end.</summary>
    public RecordBatchValidationResult Error { get; private set; }

    /// <summary>Bytes from the end of the last entry returned to the end of the blob.</summary>
    public readonly int RemainingBytes => _records.Length - _next;

    /// <summary>True when the only defect is an incomplete entry at the end of the blob.</summary>
    public readonly bool EndsWithPartialBatch =>
        Error.Error is RecordBatchError.TruncatedBatch or RecordBatchError.TruncatedHeader;

    public readonly RecordBatchEnumerator GetEnumerator() => this;

    public bool MoveNext()
    {
        if (_next >= _records.Length || !Error.IsValid) return false;

        var rest = _records[_next..];
        var framing = RecordBatchFraming.TryFrame(rest, _maxBatchBytes, out int size, out byte magic);
        if (!framing.IsValid)
        {
            Error = framing.ShiftedBy(_next);
            Current = default;
            return false;
        }

        CurrentPosition = _next;
        Current = rest[..size];
        CurrentMagic = magic;
        _next += size;
        return true;
    }
}
