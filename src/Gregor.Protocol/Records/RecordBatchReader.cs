using Gregor.Protocol.Primitives;
using static Gregor.Protocol.Records.RecordBatchError;
using H = Gregor.Protocol.Records.RecordBatchHeader;

namespace Gregor.Protocol.Records;

/// <summary>
/// Reads the records of one v2 batch without allocating per record. A compressed batch is
/// decompressed once into a pooled buffer, returned by <see cref="Dispose"/>: records are spans
/// into the batch or that buffer and die with it. Reading bounds-checks every length, so even
/// an unvalidated batch cannot make it read out of range, but it does not check the CRC — run
/// <see cref="RecordBatchValidator"/> first on untrusted bytes.
/// </summary>
public ref struct RecordBatchReader : IDisposable
{
    private readonly ReadOnlySpan<byte> _batch;
    private readonly ReadOnlySpan<byte> _section;
    private readonly RecordContext _context;
    private readonly int _count;
    private readonly bool _decompressed;
    private PooledByteBufferWriter? _buffer;
    private int _position;
    private int _read;

    private RecordBatchReader(ReadOnlySpan<byte> batch, ReadOnlySpan<byte> section, int count, bool decompressed, PooledByteBufferWriter? buffer)
    {
        var header = new RecordBatch(batch);
        _batch = batch;
        _section = section;
        _count = count;
        _decompressed = decompressed;
        _buffer = buffer;
        _context = new RecordContext(header.BaseOffset, header.BaseTimestamp, header.MaxTimestamp, header.TimestampType);
        _position = 0;
        _read = 0;
        Error = default;
    }

    /// <summary>
    /// Opens the records of <paramref name="batch"/> (at least its declared size; bytes beyond are ignored).
    /// Fails on a short or non-v2 batch, an impossible record count, or a section that will not decompress.
    /// </summary>
    public static RecordBatchValidationResult TryOpen(ReadOnlySpan<byte> batch, out RecordBatchReader reader,
        int maxDecompressedBytes = RecordBatchValidationOptions.DefaultMaxDecompressedBytes) =>
        Open(batch, decompressInto: null, out reader, maxDecompressedBytes);

    /// <summary>
    /// Opens the records of <paramref name="batch"/> like <see cref="TryOpen(ReadOnlySpan{byte}, out RecordBatchReader, int)"/>,
    /// but a compressed section is decompressed into <paramref name="decompressionBuffer"/> (cleared first), which
    /// the caller owns: the reader does not return it, and records read from it stay valid after the reader is
    /// gone, until the caller clears the buffer. A consumer reusing one buffer decodes batch after batch without
    /// allocating.
    /// </summary>
    public static RecordBatchValidationResult TryOpen(ReadOnlySpan<byte> batch, PooledByteBufferWriter decompressionBuffer, out RecordBatchReader reader,
        int maxDecompressedBytes = RecordBatchValidationOptions.DefaultMaxDecompressedBytes)
    {
        ArgumentNullException.ThrowIfNull(decompressionBuffer);
        return Open(batch, decompressInto: decompressionBuffer, out reader, maxDecompressedBytes);
    }

    private static RecordBatchValidationResult Open(ReadOnlySpan<byte> batch, PooledByteBufferWriter? decompressInto, out RecordBatchReader reader,
        int maxDecompressedBytes)
    {
        reader = default;
        if (batch.Length < H.Size) return new(TruncatedHeader, 0, H.Size, batch.Length);
        var header = new RecordBatch(batch);
        if (header.Magic != H.CurrentMagic) return new(UnsupportedMagic, H.MagicOffset, H.CurrentMagic, header.Magic);
        long size = (long)header.BatchLength + H.LogOverhead;
        if (size < H.Size) return new(BatchLengthTooSmall, H.BatchLengthOffset, H.Size - H.LogOverhead, header.BatchLength);
        if (size > batch.Length) return new(TruncatedBatch, 0, size, batch.Length);
        batch = batch[..(int)size];

        var section = batch[H.Size..];
        int count = header.RecordsCount;
        byte codec = (byte)header.Compression;
        if (codec > RecordsSectionCompression.MaxCodecId)
            return new(InvalidCompressionCodec, H.AttributesOffset, RecordsSectionCompression.MaxCodecId, codec);
        if (codec == 0)
        {
            if (count < 0 || count > section.Length / RecordParser.MinimumRecordSize)
                return new(InvalidRecordCount, H.RecordsCountOffset, section.Length / RecordParser.MinimumRecordSize, count);
            reader = new RecordBatchReader(batch, section, count, decompressed: false, buffer: null);
            return default;
        }

        if (count < 0) return new(InvalidRecordCount, H.RecordsCountOffset, int.MaxValue, count);
        // The reader returns a buffer it rented itself; one the caller lent stays the caller's.
        PooledByteBufferWriter? owned = null;
        var buffer = decompressInto ?? (owned = new PooledByteBufferWriter(RecordsSectionCompression.InitialCapacity(section.Length, maxDecompressedBytes)));
        buffer.Clear();
        var result = RecordsSectionCompression.TryDecompress(codec, section, maxDecompressedBytes, buffer, H.AttributesOffset, H.Size);
        if (!result.IsValid)
        {
            owned?.Dispose();
            return result;
        }
        var decompressed = buffer.WrittenSpan;
        if (count > decompressed.Length / RecordParser.MinimumRecordSize)
        {
            owned?.Dispose();
            return new(InvalidRecordCount, H.RecordsCountOffset, decompressed.Length / RecordParser.MinimumRecordSize, count);
        }
        reader = new RecordBatchReader(batch, decompressed, count, decompressed: true, owned);
        return default;
    }

    /// <summary>The batch's header fields.</summary>
    public readonly RecordBatch Batch => new(_batch);

    /// <summary>The uncompressed records section the records are read from.</summary>
    public readonly ReadOnlySpan<byte> RecordsSection => _section;

    public readonly int Count => _count;

    public readonly int RecordsLeft => _count - _read;

    /// <summary>Why <see cref="TryReadNext"/> last returned false, if it was not the end.</summary>
    public RecordBatchValidationResult Error { get; private set; }

    /// <summary>Reads the next record; false at the end (Error valid) or on a malformed record (Error says which).</summary>
    public bool TryReadNext(out Record record)
    {
        record = default;
        if (_read >= _count || !Error.IsValid) return false;
        var result = ReadAt(_section, ref _position, _read, _count, _context, out record);
        if (!result.IsValid)
        {
            Error = _decompressed ? result.InDecompressedData(H.Size) : result.ShiftedBy(H.Size);
            return false;
        }
        _read++;
        return true;
    }

    /// <summary>An independent pass over the records for foreach; it throws on a malformed record (validate first).</summary>
    public readonly Enumerator GetEnumerator() => new(_section, _count, _context, _decompressed);

    public void Dispose()
    {
        _buffer?.Dispose();
        _buffer = null;
    }

    private static RecordBatchValidationResult ReadAt(ReadOnlySpan<byte> section, scoped ref int position, int index, int count,
        scoped in RecordContext context, out Record record)
    {
        if (position == section.Length)
        {
            record = default;
            return new(RecordCountMismatch, position, count, index);
        }
        return RecordParser.TryParse(section, ref position, context, out record);
    }

    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> _section;
        private readonly RecordContext _context;
        private readonly int _count;
        private readonly bool _decompressed;
        private int _position;
        private int _read;
        private Record _current;

        internal Enumerator(ReadOnlySpan<byte> section, int count, RecordContext context, bool decompressed)
        {
            _section = section;
            _count = count;
            _context = context;
            _decompressed = decompressed;
            _position = 0;
            _read = 0;
            _current = default;
        }

        public readonly Record Current => _current;

        public bool MoveNext()
        {
            if (_read >= _count) return false;
            var result = ReadAt(_section, ref _position, _read, _count, _context, out _current);
            if (!result.IsValid)
            {
                var located = _decompressed ? result.InDecompressedData(H.Size) : result.ShiftedBy(H.Size);
                throw new MalformedMessageException(located.Message);
            }
            _read++;
            return true;
        }
    }
}
