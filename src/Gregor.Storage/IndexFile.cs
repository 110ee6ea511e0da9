using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Gregor.Storage;

/// <summary>
/// A fixed-entry-size index file mapped into memory, as Kafka keeps its indexes. The active segment's
/// index is preallocated to segment.index.bytes and trimmed to its entries when the segment stops being
/// active or the log closes; indexes of older segments are mapped lazily on first lookup.
/// </summary>
/// <remarks>
/// One writer appends (entries are published after their bytes are written); any number of readers look
/// up concurrently under a read lock. Remapping (resize, trim, close) takes the write lock, so no reader
/// ever touches an unmapped view.
/// </remarks>
public abstract unsafe class IndexFile
{
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);
    private FileStream? _file;
    private MemoryMappedFile? _map;
    private MemoryMappedViewAccessor? _view;
    private byte* _pointer;
    private long _fileLength;
    private int _entries;
    private bool _disposed;

    private protected IndexFile(string path, long baseOffset, int maxIndexSize, bool writable)
    {
        FilePath = path;
        BaseOffset = baseOffset;
        _file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);
        _fileLength = _file.Length;
        // A torn tail (length not a multiple of the entry size) is ignored here; SanityCheck reports it.
        _entries = (int)Math.Min(int.MaxValue, _fileLength / EntrySize);
        if (writable)
            ResizeLocked(RoundedCapacity(maxIndexSize));
    }

    public string FilePath { get; private set; }

    public long BaseOffset { get; }

    public abstract int EntrySize { get; }

    /// <summary>Entries written so far.</summary>
    public int Entries => Volatile.Read(ref _entries);

    /// <summary>Entries the current file can hold (its length over the entry size).</summary>
    public int MaxEntries => (int)Math.Min(int.MaxValue, Volatile.Read(ref _fileLength) / EntrySize);

    public virtual bool IsFull => Entries >= MaxEntries;

    /// <summary>File length in bytes (preallocated for the active segment).</summary>
    public long FileLength => Volatile.Read(ref _fileLength);

    /// <summary>The capacity for a given segment.index.bytes: whole entries, and room for at least two.</summary>
    public int RoundedCapacity(int maxIndexSize) => Math.Max(maxIndexSize / EntrySize, 2) * EntrySize;

    /// <summary>Whether the file's length is a whole number of entries (a torn write leaves a fraction).</summary>
    public bool HasWholeEntries => FileLength % EntrySize == 0;

    /// <summary>Grows or shrinks the file (and mapping) to <paramref name="bytes"/>, keeping the entries below it.</summary>
    internal void Resize(int bytes)
    {
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            ResizeLocked(bytes);
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
        _lock.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            Volatile.Write(ref _entries, 0);
            ResizeLocked(0);
            ResizeLocked(RoundedCapacity(maxIndexSize));
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>msync the mapping and fsync the file.</summary>
    public void Flush()
    {
        _lock.EnterReadLock();
        try
        {
            if (_disposed)
                return;
            _view?.Flush();
            _file!.Flush(flushToDisk: true);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Renames the file in place; the open mapping stays valid.</summary>
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
            Unmap();
            _file?.Dispose();
            _file = null;
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

    /// <summary>Enters the read side, mapping the file first if this is the first lookup.</summary>
    protected void EnterRead()
    {
        if (_pointer == null && Entries > 0)
        {
            _lock.EnterWriteLock();
            try
            {
                ThrowIfDisposed();
                if (_pointer == null && _fileLength > 0)
                    Map();
            }
            finally
            {
                _lock.ExitWriteLock();
            }
        }
        _lock.EnterReadLock();
        if (_disposed)
        {
            _lock.ExitReadLock();
            throw new ObjectDisposedException(FilePath);
        }
    }

    protected void ExitRead() => _lock.ExitReadLock();

    /// <summary>The bytes of entry <paramref name="slot"/>; only under <see cref="EnterRead"/>.</summary>
    protected ReadOnlySpan<byte> EntryBytes(int slot) => new(_pointer + (long)slot * EntrySize, EntrySize);

    /// <summary>
    /// Writes the next entry; only the single writer calls this, under <see cref="EnterRead"/> (which keeps the
    /// mapping in place). The entry becomes visible to readers only after its bytes are written.
    /// </summary>
    protected void AppendEntry(ReadOnlySpan<byte> entry)
    {
        int slot = _entries;
        if (slot >= MaxEntries)
            throw new InvalidOperationException($"Index {FilePath} is full ({slot} entries).");
        entry.CopyTo(new Span<byte>(_pointer + (long)slot * EntrySize, EntrySize));
        Volatile.Write(ref _entries, slot + 1);
    }

    /// <summary>Forgets entries from <paramref name="entries"/> on (the bytes stay until overwritten or trimmed).</summary>
    protected void SetEntries(int entries) => Volatile.Write(ref _entries, entries);

    /// <summary>Reads an entry with a plain file read, for sanity checks that should not map the file.</summary>
    protected bool TryReadEntryFromFile(int slot, Span<byte> destination)
    {
        _lock.EnterReadLock();
        try
        {
            if (_disposed || _file == null)
                return false;
            if (_pointer != null)
            {
                EntryBytes(slot).CopyTo(destination);
                return true;
            }
            return RandomAccess.Read(_file.SafeFileHandle, destination[..EntrySize], (long)slot * EntrySize) == EntrySize;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    protected static int ReadInt32(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadInt32BigEndian(bytes);

    protected static long ReadInt64(ReadOnlySpan<byte> bytes) => BinaryPrimitives.ReadInt64BigEndian(bytes);

    private void ResizeLocked(int bytes)
    {
        int rounded = bytes / EntrySize * EntrySize;
        if (rounded == _fileLength && (_pointer != null || rounded == 0))
            return;
        Unmap();
        _file!.SetLength(rounded);
        Volatile.Write(ref _fileLength, rounded);
        if (_entries > rounded / EntrySize)
            Volatile.Write(ref _entries, rounded / EntrySize);
        if (rounded > 0)
            Map();
    }

    private void Map()
    {
        _map = MemoryMappedFile.CreateFromFile(_file!, null, _fileLength, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: true);
        _view = _map.CreateViewAccessor(0, _fileLength, MemoryMappedFileAccess.ReadWrite);
        byte* pointer = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + _view.PointerOffset;
        // A preallocated (active) index is mostly holes: fault its pages in one at a time, without read-ahead.
        if ((long)_entries * EntrySize < _fileLength)
            MemoryAdvice.AdviseRandomAccess(pointer, (long)_view.SafeMemoryMappedViewHandle.ByteLength);
    }

    private void Unmap()
    {
        if (_view != null)
        {
            _view.SafeMemoryMappedViewHandle.ReleasePointer();
            _view.Dispose();
            _view = null;
        }
        _map?.Dispose();
        _map = null;
        _pointer = null;
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
