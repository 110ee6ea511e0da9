namespace Gregor.Raft.Tests;

/// <summary>
/// An in-memory <see cref="IRaftLog"/> that remembers what was flushed, so a simulated crash
/// (<see cref="LoseUnflushed"/>) drops exactly what a real crash could: appends not yet flushed.
/// Truncation and snapshots are durable at once (the file log fsyncs them before returning).
/// </summary>
internal sealed class MemoryRaftLog : IRaftLog
{
    private readonly List<RaftBatch> _batches = [];
    // (epoch, first offset) for each run of batches of one epoch, like Kafka's leader-epoch cache.
    private readonly List<(int Epoch, long Start)> _epochs = [];
    // The newest few snapshots: a follower part-way through fetching one must not lose it to the next.
    private readonly List<(SnapshotId Id, byte[] Content)> _snapshots = [];
    private const int SnapshotsKept = 3;
    private long _startOffset;
    private long _flushedEnd;

    public long StartOffset => _startOffset;

    public long EndOffset => _batches.Count > 0 ? _batches[^1].EndOffset : _startOffset;

    public long FlushedEndOffset => LyingFlush ? EndOffset : Math.Min(_flushedEnd, EndOffset);

    private long DurableEnd => Math.Min(_flushedEnd, EndOffset);

    public int LastEpoch => _batches.Count > 0 ? _batches[^1].Epoch : LatestSnapshot?.Epoch ?? 0;

    public SnapshotId? LatestSnapshot { get; private set; }

    public int FlushCount { get; private set; }

    public IReadOnlyList<RaftBatch> Batches => _batches;

    public void Append(RaftBatch batch)
    {
        if (batch.BaseOffset != EndOffset) throw new InvalidOperationException($"append at {batch.BaseOffset}, end is {EndOffset}");
        if (batch.Epoch < LastEpoch) throw new InvalidOperationException($"append of epoch {batch.Epoch} after {LastEpoch}");
        if (_epochs.Count == 0 || _epochs[^1].Epoch != batch.Epoch) _epochs.Add((batch.Epoch, batch.BaseOffset));
        _batches.Add(batch);
    }

    /// <summary>A disk that lies: flush returns but nothing becomes durable.</summary>
    public bool LyingFlush { get; init; }

    /// <summary>A disk that has failed: every flush throws.</summary>
    public bool FailFlushes { get; set; }

    public void Flush()
    {
        if (FailFlushes) throw new IOException("fsync failed: input/output error");
        if (!LyingFlush) _flushedEnd = EndOffset;
        FlushCount++;
    }

    public void TruncateTo(long offset)
    {
        if (offset < _startOffset) throw new InvalidOperationException($"truncation to {offset} below the start {_startOffset}");
        int keep = _batches.Count;
        while (keep > 0 && _batches[keep - 1].EndOffset > offset) keep--;
        _batches.RemoveRange(keep, _batches.Count - keep);
        while (_epochs.Count > 0 && _epochs[^1].Start >= EndOffset) _epochs.RemoveAt(_epochs.Count - 1);
        _flushedEnd = Math.Min(_flushedEnd, EndOffset);
    }

    public OffsetAndEpoch EndOffsetForEpoch(int epoch)
    {
        for (int i = _epochs.Count - 1; i >= 0; i--)
        {
            if (_epochs[i].Epoch > epoch) continue;
            long end = i + 1 < _epochs.Count ? _epochs[i + 1].Start : EndOffset;
            return new OffsetAndEpoch(end, _epochs[i].Epoch);
        }
        if (LatestSnapshot is SnapshotId snapshot && epoch >= snapshot.Epoch)
            return snapshot.Position;
        return new OffsetAndEpoch(_startOffset, -1);
    }

    public IReadOnlyList<RaftBatch> Read(long offset, int maxBytes)
    {
        int index = IndexOf(offset);
        if (index < 0) return [];
        var result = new List<RaftBatch>();
        int bytes = 0;
        for (int i = index; i < _batches.Count; i++)
        {
            if (result.Count > 0 && bytes + _batches[i].SizeInBytes > maxBytes) break;
            bytes += _batches[i].SizeInBytes;
            result.Add(_batches[i]);
        }
        return result;
    }

    private int IndexOf(long offset)
    {
        int lo = 0, hi = _batches.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_batches[mid].BaseOffset == offset) return mid;
            if (_batches[mid].BaseOffset < offset) lo = mid + 1; else hi = mid - 1;
        }
        if (offset == EndOffset) return -1;
        throw new InvalidOperationException($"offset {offset} is not a batch boundary in [{_startOffset}, {EndOffset})");
    }

    public long SnapshotSize(SnapshotId id) => Snapshot(id)?.Length ?? -1;

    private byte[]? Snapshot(SnapshotId id)
    {
        foreach (var (held, content) in _snapshots)
            if (held == id) return content;
        return null;
    }

    public ReadOnlyMemory<byte> ReadSnapshot(SnapshotId id, long position, int maxBytes)
    {
        byte[] content = Snapshot(id) ?? throw new InvalidOperationException($"no snapshot {id}");
        int start = checked((int)position);
        return content.AsMemory(start, Math.Min(maxBytes, content.Length - start));
    }

    private void KeepSnapshot(SnapshotId id, ReadOnlyMemory<byte> content)
    {
        _snapshots.Add((id, content.ToArray()));
        if (_snapshots.Count > SnapshotsKept) _snapshots.RemoveAt(0);
    }

    public void CreateSnapshot(SnapshotId id, ReadOnlyMemory<byte> content)
    {
        if (id.EndOffset > FlushedEndOffset) throw new InvalidOperationException($"snapshot {id} beyond the flushed end {FlushedEndOffset}");
        int drop = 0;
        while (drop < _batches.Count && _batches[drop].EndOffset <= id.EndOffset) drop++;
        if (drop > 0 && _batches[drop - 1].EndOffset != id.EndOffset) throw new InvalidOperationException($"snapshot {id} ends inside a batch");
        if (drop > 0 && _batches[drop - 1].Epoch != id.Epoch) throw new InvalidOperationException($"snapshot {id} names epoch {id.Epoch}, the batch before it is of {_batches[drop - 1].Epoch}");
        _batches.RemoveRange(0, drop);
        _startOffset = id.EndOffset;
        LatestSnapshot = id;
        KeepSnapshot(id, content);
        RebuildEpochs();
    }

    public void InstallSnapshot(SnapshotId id, ReadOnlyMemory<byte> content)
    {
        _batches.Clear();
        _startOffset = id.EndOffset;
        _flushedEnd = id.EndOffset;
        LatestSnapshot = id;
        KeepSnapshot(id, content);
        RebuildEpochs();
    }

    public byte[] SnapshotContent => _snapshots.Count > 0 ? _snapshots[^1].Content : [];

    /// <summary>A crash: what was appended but never flushed is gone.</summary>
    public void LoseUnflushed() => TruncateTo(Math.Max(_startOffset, DurableEnd));

    private void RebuildEpochs()
    {
        _epochs.Clear();
        foreach (var batch in _batches)
            if (_epochs.Count == 0 || _epochs[^1].Epoch != batch.Epoch) _epochs.Add((batch.Epoch, batch.BaseOffset));
    }
}
