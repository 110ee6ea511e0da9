using System.Buffers;
using System.Globalization;
using Gregor.Protocol.Records;
using Gregor.Storage;
using H = Gregor.Protocol.Records.RecordBatchHeader;

namespace Gregor.Raft;

/// <summary>
/// The metadata log on disk: a partition log in Kafka's layout (<c>__cluster_metadata-0/&lt;base offset&gt;.log</c>)
/// whose batches are v2 record batches carrying the Raft epoch in their partition-leader-epoch field, and
/// snapshots beside it as <c>&lt;20-digit end offset&gt;-&lt;10-digit epoch&gt;.checkpoint</c> files, Kafka's names.
/// A batch's payload must be a whole v2 batch; its base offset and epoch are written into the header here (both
/// lie outside the CRC). The epochs' start offsets are rebuilt by a scan on open (the log behind the newest
/// snapshot is trimmed, so the scan is short). Snapshot files are written to a <c>.part</c> file, fsynced and
/// renamed, then the directory is fsynced.
/// </summary>
public sealed class FileRaftLog : IRaftLog, IDisposable
{
    /// <summary>The largest batch the metadata log holds.</summary>
    public const int MaxBatchBytes = 8 * 1024 * 1024;

    private const string SnapshotSuffix = ".checkpoint";
    private const string PartialSuffix = ".part";
    private const int SnapshotsKept = 2;

    private static readonly LogConfig Config = LogConfig.Default with
    {
        RetentionMs = -1,
        RetentionBytes = -1,
        MaxMessageBytes = MaxBatchBytes,
        SegmentIndexBytes = 1024 * 1024,
        FileDeleteDelayMs = 0,
    };

    private readonly PartitionLog _log;
    private readonly string _directory;
    private readonly List<(int Epoch, long Start)> _epochs = [];
    private readonly List<SnapshotId> _snapshots = [];

    private FileRaftLog(PartitionLog log, string directory)
    {
        _log = log;
        _directory = directory;
    }

    public string Directory => _directory;

    /// <summary>Opens (or creates) the log in <paramref name="directory"/> and reconciles it with its newest snapshot.</summary>
    public static FileRaftLog Open(string directory, TimeProvider? time = null)
    {
        System.IO.Directory.CreateDirectory(directory);
        foreach (string partial in System.IO.Directory.EnumerateFiles(directory, "*" + SnapshotSuffix + PartialSuffix))
            File.Delete(partial);
        var log = new FileRaftLog(PartitionLog.Open(directory, Config, time ?? TimeProvider.System), directory);
        log.LoadSnapshots();
        log.Reconcile();
        log.RebuildEpochs();
        return log;
    }

    public long StartOffset => _log.LogStartOffset;

    public long EndOffset => _log.LogEndOffset;

    public long FlushedEndOffset => Math.Min(_log.RecoveryPoint, _log.LogEndOffset);

    public int LastEpoch => _epochs.Count > 0 ? _epochs[^1].Epoch : LatestSnapshot?.Epoch ?? 0;

    public SnapshotId? LatestSnapshot => _snapshots.Count > 0 ? _snapshots[^1] : null;

    public void Append(RaftBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ReadOnlySpan<byte> payload = batch.Payload.Span;
        if (payload.Length < H.Size || payload.Length > MaxBatchBytes || H.TotalSize(payload) != payload.Length || H.Magic(payload) != 2)
            throw new ArgumentException($"the payload at {batch.BaseOffset} is not one v2 record batch of at most {MaxBatchBytes} bytes", nameof(batch));
        if (H.LastOffsetDelta(payload) + 1 != batch.RecordCount)
            throw new ArgumentException($"the batch at {batch.BaseOffset} claims {batch.RecordCount} records, its header {H.LastOffsetDelta(payload) + 1}", nameof(batch));
        if (((H.Attributes(payload) & RecordBatchAttributes.Control) != 0) != batch.IsControl)
            throw new ArgumentException($"the batch at {batch.BaseOffset} disagrees with its header about being a control batch", nameof(batch));
        if (batch.BaseOffset != EndOffset) throw new InvalidOperationException($"append at {batch.BaseOffset}, the log ends at {EndOffset}");
        if (batch.Epoch < LastEpoch) throw new InvalidOperationException($"append of epoch {batch.Epoch} after epoch {LastEpoch}");
        byte[] buffer = ArrayPool<byte>.Shared.Rent(payload.Length);
        try
        {
            Span<byte> copy = buffer.AsSpan(0, payload.Length);
            payload.CopyTo(copy);
            H.SetBaseOffset(copy, batch.BaseOffset);
            H.SetPartitionLeaderEpoch(copy, batch.Epoch);
            _log.AppendReplicated(copy);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        if (_epochs.Count == 0 || _epochs[^1].Epoch != batch.Epoch) _epochs.Add((batch.Epoch, batch.BaseOffset));
    }

    public void Flush() => _log.Flush();

    public void TruncateTo(long offset)
    {
        if (offset < StartOffset) throw new InvalidOperationException($"truncation to {offset} below the log start {StartOffset}");
        if (offset >= EndOffset) return;
        _log.Truncate(offset);
        _log.Flush();
        while (_epochs.Count > 0 && _epochs[^1].Start >= EndOffset) _epochs.RemoveAt(_epochs.Count - 1);
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
        return new OffsetAndEpoch(StartOffset, -1);
    }

    public IReadOnlyList<RaftBatch> Read(long offset, int maxBytes)
    {
        if (offset >= EndOffset) return [];
        using LogReadResult read = _log.Read(offset, Math.Max(maxBytes, 1));
        var batches = new List<RaftBatch>(read.BatchCount);
        var enumerator = new RecordBatchEnumerator(read.Records.Span, MaxBatchBytes);
        while (enumerator.MoveNext())
        {
            ReadOnlySpan<byte> bytes = enumerator.Current;
            batches.Add(new RaftBatch(H.BaseOffset(bytes), H.PartitionLeaderEpoch(bytes), H.LastOffsetDelta(bytes) + 1,
                (H.Attributes(bytes) & RecordBatchAttributes.Control) != 0, bytes.ToArray()));
        }
        if (!enumerator.Error.IsValid)
            throw new InvalidDataException($"{_directory}: unreadable batch framing at {offset}: {enumerator.Error}");
        if (batches.Count > 0 && batches[0].BaseOffset != offset)
            throw new InvalidOperationException($"{_directory}: offset {offset} is not a batch boundary (the batch there starts at {batches[0].BaseOffset})");
        return batches;
    }

    public long SnapshotSize(SnapshotId id)
    {
        if (!_snapshots.Contains(id)) return -1;
        var file = new FileInfo(SnapshotPath(id));
        return file.Exists ? file.Length : -1;
    }

    public ReadOnlyMemory<byte> ReadSnapshot(SnapshotId id, long position, int maxBytes)
    {
        using var stream = new FileStream(SnapshotPath(id), FileMode.Open, FileAccess.Read, FileShare.Read);
        if (position < 0 || position > stream.Length) throw new ArgumentOutOfRangeException(nameof(position));
        stream.Position = position;
        var bytes = new byte[(int)Math.Min(maxBytes, stream.Length - position)];
        stream.ReadExactly(bytes);
        return bytes;
    }

    public void CreateSnapshot(SnapshotId id, ReadOnlyMemory<byte> content)
    {
        if (id.EndOffset > FlushedEndOffset) throw new InvalidOperationException($"snapshot {id} is beyond the flushed end {FlushedEndOffset}");
        if (id.EndOffset <= StartOffset) return;
        WriteSnapshotFile(id, content.Span);
        _log.MaybeIncrementHighWatermark(id.EndOffset);
        _log.IncreaseLogStartOffset(id.EndOffset);
        _log.ApplyRetention();
        _log.DeleteExpiredFiles();
        TrimEpochsBelow(id.EndOffset);
    }

    public void InstallSnapshot(SnapshotId id, ReadOnlyMemory<byte> content)
    {
        WriteSnapshotFile(id, content.Span);
        _log.TruncateFullyAndStartAt(id.EndOffset);
        _log.DeleteExpiredFiles();
        _epochs.Clear();
    }

    public void Dispose() => _log.Dispose();

    private string SnapshotPath(SnapshotId id) => Path.Combine(_directory, id + SnapshotSuffix);

    private void WriteSnapshotFile(SnapshotId id, ReadOnlySpan<byte> content)
    {
        string path = SnapshotPath(id);
        string partial = path + PartialSuffix;
        using (var stream = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        File.Move(partial, path, overwrite: true);
        DirectorySync.Flush(_directory);
        if (!_snapshots.Contains(id))
        {
            _snapshots.Add(id);
            _snapshots.Sort((a, b) => a.EndOffset.CompareTo(b.EndOffset));
        }
        while (_snapshots.Count > SnapshotsKept)
        {
            File.Delete(SnapshotPath(_snapshots[0]));
            _snapshots.RemoveAt(0);
        }
    }

    private void LoadSnapshots()
    {
        foreach (string path in System.IO.Directory.EnumerateFiles(_directory, "*" + SnapshotSuffix))
            if (TryParseSnapshotName(Path.GetFileName(path), out var id)) _snapshots.Add(id);
        _snapshots.Sort((a, b) => a.EndOffset.CompareTo(b.EndOffset));
    }

    private static bool TryParseSnapshotName(string name, out SnapshotId id)
    {
        id = default;
        // 20 digits, '-', 10 digits, ".checkpoint"
        if (name.Length != 20 + 1 + 10 + SnapshotSuffix.Length || name[20] != '-' || !name.EndsWith(SnapshotSuffix, StringComparison.Ordinal)) return false;
        if (!long.TryParse(name.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out long end)
            || !int.TryParse(name.AsSpan(21, 10), NumberStyles.None, CultureInfo.InvariantCulture, out int epoch)) return false;
        id = new SnapshotId(end, epoch);
        return true;
    }

    /// <summary>
    /// After a crash between writing a snapshot and trimming the log: the log must start at the newest snapshot
    /// (a fetched snapshot replaces a log that ends before it; a local one trims what it covers).
    /// </summary>
    private void Reconcile()
    {
        if (LatestSnapshot is not SnapshotId snapshot) return;
        if (_log.LogEndOffset < snapshot.EndOffset || _log.LogStartOffset > snapshot.EndOffset)
        {
            _log.TruncateFullyAndStartAt(snapshot.EndOffset);
        }
        else if (_log.LogStartOffset < snapshot.EndOffset)
        {
            _log.MaybeIncrementHighWatermark(snapshot.EndOffset);
            _log.IncreaseLogStartOffset(snapshot.EndOffset);
            _log.ApplyRetention();
        }
        _log.DeleteExpiredFiles();
    }

    private void RebuildEpochs()
    {
        _epochs.Clear();
        long offset = StartOffset;
        while (offset < EndOffset)
        {
            var batches = Read(offset, 1024 * 1024);
            if (batches.Count == 0) throw new InvalidDataException($"{_directory}: nothing readable at {offset} below the end {EndOffset}");
            foreach (var batch in batches)
                if (_epochs.Count == 0 || _epochs[^1].Epoch != batch.Epoch) _epochs.Add((batch.Epoch, batch.BaseOffset));
            offset = batches[^1].EndOffset;
        }
    }

    private void TrimEpochsBelow(long start)
    {
        while (_epochs.Count > 1 && _epochs[1].Start <= start) _epochs.RemoveAt(0);
        if (_epochs.Count == 1 && EndOffset <= start) _epochs.Clear();
    }
}
