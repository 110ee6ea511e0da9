using System.Buffers;
using System.Runtime.InteropServices;

namespace Gregor.Protocol.Records;

/// <summary>
/// Record bytes that stay where they are (a region of a log file) until the message carrying them is sent. A records
/// field whose value is backed by one of these (<see cref="Records"/>) is sized by its <see cref="Length"/>; a
/// <see cref="Primitives.ProtocolWriter"/> given a <see cref="DeferredRecordsList"/> writes only the length prefix and
/// notes where the bytes go, and the sender copies them from the source in chunks, so no buffer ever holds them all.
/// </summary>
/// <remarks>
/// Anything else that touches the bytes (a writer without a list, a test reading the response) gets them copied once
/// into an array of their own: correct, but the allocation the streaming path exists to avoid.
/// </remarks>
public abstract class DeferredRecords : MemoryManager<byte>
{
    private byte[]? _copy;
    private GCHandle _pin;

    /// <summary>The number of record bytes.</summary>
    public abstract int Length { get; }

    /// <summary>
    /// Copies bytes from <paramref name="offset"/> on into <paramref name="destination"/>, as many as fit; returns the
    /// count, fewer than both the space and the bytes left only when the source ended early (then the bytes promised
    /// cannot be sent and the connection must be dropped).
    /// </summary>
    public abstract int CopyTo(Span<byte> destination, int offset);

    /// <summary>The records field value backed by this source.</summary>
    public ReadOnlyMemory<byte> Records => CreateMemory(Length);

    public override Span<byte> GetSpan() => Materialize();

    public override unsafe MemoryHandle Pin(int elementIndex = 0)
    {
        byte[] copy = Materialize();
        if (!_pin.IsAllocated)
            _pin = GCHandle.Alloc(copy, GCHandleType.Pinned);
        return new MemoryHandle((byte*)_pin.AddrOfPinnedObject() + elementIndex, default, this);
    }

    public override void Unpin()
    {
        if (_pin.IsAllocated)
            _pin.Free();
    }

    /// <summary>Forgets a copy made for an earlier value, before the source is reused for another.</summary>
    protected void ForgetCopy()
    {
        Unpin();
        _copy = null;
    }

    protected override void Dispose(bool disposing) => ForgetCopy();

    private byte[] Materialize()
    {
        if (_copy is not null)
            return _copy;
        byte[] copy = new byte[Length];
        int copied = 0;
        while (copied < copy.Length)
        {
            int step = CopyTo(copy.AsSpan(copied), copied);
            if (step <= 0)
                throw new InvalidOperationException($"records source ended after {copied} of {copy.Length} bytes");
            copied += step;
        }
        return _copy = copy;
    }
}

/// <summary>Where a writer left records to be copied from their sources: one entry per deferred records field, in order.</summary>
public sealed class DeferredRecordsList
{
    private readonly List<Entry> _entries = [];

    /// <summary>A records field's bytes: they belong at <see cref="Position"/> of the encoded message (its inline bytes).</summary>
    public readonly record struct Entry(int Position, DeferredRecords Source, int Start, int Length);

    public int Count => _entries.Count;

    public Entry this[int index] => _entries[index];

    /// <summary>The bytes all entries add to the inline ones.</summary>
    public long TotalBytes { get; private set; }

    internal void Add(int position, DeferredRecords source, int start, int length)
    {
        _entries.Add(new Entry(position, source, start, length));
        TotalBytes += length;
    }

    public void Clear()
    {
        _entries.Clear();
        TotalBytes = 0;
    }
}
