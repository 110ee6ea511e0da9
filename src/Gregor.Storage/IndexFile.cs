using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace Gregor.Storage;

/// <summary>
/// A fixed-entry-size index file mapped into memory, as Kafka keeps its indexes, but holding no descriptor: the
/// file is opened to map it and closed again (the mapping stays valid). A mapping is made on first use and counts
/// against the process's <see cref="StorageBudgets.Mappings"/> budget; past it, idle indexes are unmapped and
/// mapped again when next used. The active segment's index is preallocated to segment.index.bytes when it is
/// first mapped for an append, and trimmed to its entries when the segment stops being active.
/// </summary>
/// <remarks>
/// One writer appends (entries are published after their bytes are written); any number of readers look up
/// concurrently under a read lock. Mapping, unmapping and resizing take the write lock, so no reader ever
/// touches an unmapped view. Under the read lock, entries exist only if the file is mapped: the writer maps
/// before it appends, and nobody can map or unmap while a reader holds the lock.
/// </remarks>
public abstract unsafe class IndexFile : IBudgetedResource
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private readonly ResourceBudget _mappings;
    private BudgetLink _link;
    private byte* _pointer;
    private long _mappedLength;
    private long _fileLength;
    // Bytes the index may fill: the preallocation target while it takes appends, else the file's length.
    private long _capacity;
    private int _entries;
    // Written (entries or length) since the last flush.
    private int _dirty;
    // At least 0: the entries are checked against a log of this size when the file is first mapped.
    private long _checkOnMapLogSize = -1;
    private bool _wholeEntriesWhenOpened;
    private bool _disposed;

    private protected IndexFile(string path, long baseOffset, int maxIndexSize, bool writable, ResourceBudget? mappings = null)
    {
        FilePath = path;
        BaseOffset = baseOffset;
        _mappings = mappings ?? StorageBudgets.Shared.Mappings;
        _fileLength = LengthCreatingIfMissing(path);
        // A torn tail (length not a multiple of the entry size) is ignored here; SanityCheck reports it.
        _entries = (int)Math.Min(int.MaxValue, _fileLength / EntrySize);
        _capacity = writable ? RoundedCapacity(maxIndexSize) : _fileLength;
    }

    public string FilePath { get; private set; }

    public long BaseOffset { get; }

    public abstract int EntrySize { get; }

    /// <summary>Entries written so far.</summary>
    public int Entries => Volatile.Read(ref _entries);

    /// <summary>Entries the index can hold (its capacity over the entry size).</summary>
    public int MaxEntries => (int)Math.Min(int.MaxValue, Volatile.Read(ref _capacity) / EntrySize);

    public virtual bool IsFull => Entries >= MaxEntries;

    /// <summary>The file's length on disk (preallocated once the active segment's index has been mapped).</summary>
    public long FileLength => Volatile.Read(ref _fileLength);

    /// <summary>Whether the file is mapped now.</summary>
    public bool IsMapped => _pointer != null;

    /// <summary>What the check made when the file was first mapped found wrong, or null; its entries were then dropped.</summary>
    public string? Problem { get; private set; }

    /// <summary>The capacity for a given segment.index.bytes: whole entries, and room for at least two.</summary>
    public int RoundedCapacity(int maxIndexSize) => Math.Max(maxIndexSize / EntrySize, 2) * EntrySize;

    /// <summary>Whether the file's length is a whole number of entries (a torn write leaves a fraction).</summary>
    public bool HasWholeEntries => FileLength % EntrySize == 0;

    ref BudgetLink IBudgetedResource.Link => ref _link;

    /// <summary>
    /// Sets the capacity to <paramref name="bytes"/>, keeping the entries below it. Shrinking cuts the file now;
    /// growing waits for the next mapping, so an index nobody appends to costs no disk space or mapping.
    /// </summary>
    internal void Resize(int bytes)
    {
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            long rounded = bytes / EntrySize * (long)EntrySize;
            Volatile.Write(ref _capacity, rounded);
            if (_entries > rounded / EntrySize)
                Volatile.Write(ref _entries, (int)(rounded / EntrySize));
            if (_pointer != null && _mappedLength != rounded)
                UnmapLocked(leaveBudget: true);
            if (_fileLength > rounded)
                SetFileLength(rounded);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Shrinks the file to exactly its entries, as Kafka does when a segment stops being active.</summary>
    internal void TrimToValidSize() => Resize(Entries * EntrySize);

    /// <summary>Drops every entry and preallocates again, before a rebuild.</summary>
    internal void Reset(int maxIndexSize)
    {
        Resize(0);
        Resize(RoundedCapacity(maxIndexSize));
    }

    /// <summary>
    /// Checks the entries (<see cref="SanityCheck"/>) only when the file is first mapped, for indexes of a log that
    /// was closed cleanly: opening many logs then reads none of their older indexes. A failed check drops the
    /// entries (lookups then scan the segment) and sets <see cref="Problem"/>.
    /// </summary>
    internal void CheckWhenMapped(long logSize)
    {
        // Judged now: an active index's file grows to its capacity when it is mapped.
        _wholeEntriesWhenOpened = HasWholeEntries;
        Volatile.Write(ref _checkOnMapLogSize, logSize);
    }

    /// <summary>fsyncs what was written since the last flush, through a descriptor opened for it (the mapping's writes included).</summary>
    public void Flush()
    {
        _lock.EnterReadLock();
        try
        {
            if (_disposed || Interlocked.Exchange(ref _dirty, 0) == 0)
                return;
            try
            {
                using SafeFileHandle file = OpenFile();
                RandomAccess.FlushToDisk(file);
            }
            catch
            {
                Volatile.Write(ref _dirty, 1);
                throw;
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Renames the file in place; a mapping stays valid.</summary>
    internal void Rename(string newPath)
    {
        _lock.EnterWriteLock();
        try
        {
            if (File.Exists(FilePath))
                File.Move(FilePath, newPath, overwrite: true);
            FilePath = newPath;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    internal void Dispose()
    {
        _lock.EnterWriteLock();
        try
        {
            if (_disposed)
                return;
            _disposed = true;
            UnmapLocked(leaveBudget: true);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    internal void DeleteFile()
    {
        Dispose();
        File.Delete(FilePath);
    }

    /// <summary>
    /// Cheap checks made when an index is opened (or first mapped): whole entries, first and last entries in order
    /// (and, for offset indexes, pointing inside a log of <paramref name="logSize"/> bytes). Catches truncated,
    /// zero-filled or foreign files.
    /// </summary>
    public bool SanityCheck(long logSize, out string problem)
    {
        problem = "";
        if (!HasWholeEntries)
        {
            problem = $"length {FileLength} is not a multiple of {EntrySize}";
            return false;
        }
        int entries = Entries;
        if (entries == 0)
            return true;
        Span<byte> first = stackalloc byte[EntrySize];
        Span<byte> last = stackalloc byte[EntrySize];
        if (!TryReadEntryFromFile(0, first) || !TryReadEntryFromFile(entries - 1, last))
        {
            problem = "entries could not be read";
            return false;
        }
        return CheckFirstAndLast(first, last, entries, logSize, out problem);
    }

    /// <summary>The index-specific part of <see cref="SanityCheck"/>.</summary>
    private protected abstract bool CheckFirstAndLast(ReadOnlySpan<byte> first, ReadOnlySpan<byte> last, int entries, long logSize, out string problem);

    /// <summary>Enters the read side for a lookup, mapping the file first if it has entries and is not mapped.</summary>
    protected void EnterRead() => Enter(forAppend: false);

    /// <summary>Enters the read side for the writer's append, mapping (and preallocating) the file first if needed.</summary>
    protected void EnterAppend() => Enter(forAppend: true);

    protected void ExitRead() => _lock.ExitReadLock();

    /// <summary>The bytes of entry <paramref name="slot"/>; only under <see cref="EnterRead"/>.</summary>
    protected ReadOnlySpan<byte> EntryBytes(int slot) => new(_pointer + (long)slot * EntrySize, EntrySize);

    /// <summary>
    /// Writes the next entry; only the single writer calls this, under <see cref="EnterAppend"/> (which keeps the
    /// mapping in place). The entry becomes visible to readers only after its bytes are written.
    /// </summary>
    protected void AppendEntry(ReadOnlySpan<byte> entry)
    {
        int slot = _entries;
        if (slot >= MaxEntries || _pointer == null)
            throw new InvalidOperationException($"Index {FilePath} is full ({slot} entries).");
        entry.CopyTo(new Span<byte>(_pointer + (long)slot * EntrySize, EntrySize));
        Volatile.Write(ref _dirty, 1);
        Volatile.Write(ref _entries, slot + 1);
    }

    /// <summary>
    /// Writes the next entry with a plain file write when the file is not mapped, rather than mapping (and
    /// preallocating) it for one entry: the closing entry of a segment that becomes inactive. False when mapped (the
    /// caller then appends through the mapping). Only the single writer calls this.
    /// </summary>
    protected bool TryAppendEntryUnmapped(ReadOnlySpan<byte> entry)
    {
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            if (_pointer != null)
                return false;
            int slot = _entries;
            if (slot >= MaxEntries)
                throw new InvalidOperationException($"Index {FilePath} is full ({slot} entries).");
            long end = (long)(slot + 1) * EntrySize;
            using (SafeFileHandle file = OpenFile())
                RandomAccess.Write(file, entry, end - EntrySize);
            if (end > _fileLength)
                Volatile.Write(ref _fileLength, end);
            Volatile.Write(ref _dirty, 1);
            Volatile.Write(ref _entries, slot + 1);
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Forgets entries from <paramref name="entries"/> on (the bytes stay until overwritten or trimmed).</summary>
    protected void SetEntries(int entries) => Volatile.Write(ref _entries, entries);

    /// <summary>Reads an entry from the mapping if there is one, else with a plain file read (no mapping made).</summary>
    protected bool TryReadEntryFromFile(int slot, Span<byte> destination)
    {
        _lock.EnterReadLock();
        try
        {
            if (_disposed)
                return false;
            if (_pointer != null)
            {
                EntryBytes(slot).CopyTo(destination);
                return true;
            }
            using SafeFileHandle file = OpenFile();
            return RandomAccess.Read(file, destination[..EntrySize], (long)slot * EntrySize) == EntrySize;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    protected static int ReadInt32(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadInt32BigEndian(bytes);

    protected static long ReadInt64(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadInt64BigEndian(bytes);

    /// <summary>The budget's eviction: unmaps unless a reader or the writer is inside (never waits for them).</summary>
    bool IBudgetedResource.TryRelease()
    {
        if (_lock.IsReadLockHeld || _lock.IsWriteLockHeld || !_lock.TryEnterWriteLock(0))
            return false;
        try
        {
            UnmapLocked(leaveBudget: false);
            return true;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private void Enter(bool forAppend)
    {
        while (true)
        {
            _lock.EnterReadLock();
            if (_disposed)
            {
                _lock.ExitReadLock();
                throw new ObjectDisposedException(FilePath);
            }
            if (_pointer != null)
            {
                ResourceBudget.Touch(this);
                return;
            }
            bool wanted = forAppend ? Volatile.Read(ref _capacity) > 0 : Entries > 0;
            if (!wanted)
                return;
            _lock.ExitReadLock();
            bool mapped = false;
            _lock.EnterWriteLock();
            try
            {
                ThrowIfDisposed();
                if (_pointer == null)
                {
                    MapLocked();
                    mapped = true;
                }
            }
            finally
            {
                _lock.ExitWriteLock();
            }
            // Outside this index's lock: trimming may try-lock other indexes (and, rarely, this one).
            if (mapped)
                _mappings.TrimToCapacity(spare: this);
        }
    }

    private void MapLocked()
    {
        long length = _capacity;
        if (length == 0)
            return;
        using (SafeFileHandle file = OpenFile())
        {
            if (_fileLength < length)
                SetFileLength(file, length);
            _pointer = FileMapping.Map(file, length, FilePath);
        }
        _mappedLength = length;
        // A preallocated (active) index is mostly holes: fault its pages in one at a time, without read-ahead.
        if ((long)_entries * EntrySize < length)
            MemoryAdvice.AdviseRandomAccess(_pointer, length);
        _mappings.Join(this);
        long logSize = Interlocked.Exchange(ref _checkOnMapLogSize, -1);
        if (logSize >= 0)
            CheckMappedEntries(logSize);
    }

    private void CheckMappedEntries(long logSize)
    {
        int entries = _entries;
        string problem = $"its length was not a multiple of {EntrySize}";
        bool good = _wholeEntriesWhenOpened
            && (entries == 0 || CheckFirstAndLast(EntryBytes(0), EntryBytes(entries - 1), entries, logSize, out problem));
        if (!good)
        {
            Problem = problem;
            Volatile.Write(ref _entries, 0);
        }
    }

    private void UnmapLocked(bool leaveBudget)
    {
        if (_pointer == null)
            return;
        FileMapping.Unmap(_pointer, _mappedLength);
        _pointer = null;
        _mappedLength = 0;
        if (leaveBudget)
            _mappings.Leave(this);
    }

    private void SetFileLength(long length)
    {
        using SafeFileHandle file = OpenFile();
        SetFileLength(file, length);
    }

    private void SetFileLength(SafeFileHandle file, long length)
    {
        RandomAccess.SetLength(file, length);
        Volatile.Write(ref _fileLength, length);
        Volatile.Write(ref _dirty, 1);
    }

    private SafeFileHandle OpenFile() =>
        File.OpenHandle(FilePath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);

    private static long LengthCreatingIfMissing(string path)
    {
        var info = new FileInfo(path);
        if (info.Exists)
            return info.Length;
        using (File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete))
            return 0;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
