using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Consumer;

/// <summary>Stored and committed offsets, auto-commit, and the offset lookups the application asks for.</summary>
internal sealed partial class ConsumerCore
{
    // One commit at a time, so that an auto-commit snapshot taken before a revocation cannot land after it.
    private readonly SemaphoreSlim _commitGate = new(1, 1);

    /// <summary>Stores an offset (the next record to read) for Commit() and auto-commit.</summary>
    public void StoreOffset(TopicPartitionOffset offset)
    {
        ArgumentNullException.ThrowIfNull(offset);
        if (Settings.EnableAutoOffsetStore)
            throw new KafkaException(new Error(ErrorCode.Local_InvalidArg, "StoreOffset needs enable.auto.offset.store=false; with true every consumed record's offset is stored already"));
        if (offset.Offset.Value < 0)
            throw new ArgumentException($"offset {offset.Offset} cannot be stored: give the offset of the next record to read", nameof(offset));
        lock (Gate)
        {
            var state = Assigned(offset.TopicPartition);
            state.StoredOffset = offset.Offset.Value;
            state.StoredLeaderEpoch = offset.LeaderEpoch ?? -1;
            state.StoredDirty = true;
        }
    }

    /// <summary>Commits every assigned partition's stored offset; Local_NoOffset when none is stored.</summary>
    public List<TopicPartitionOffset> CommitStored() => CommitStoredAsync(CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc cref="CommitStored"/>
    public async Task<List<TopicPartitionOffset>> CommitStoredAsync(CancellationToken cancellationToken)
    {
        List<(PartitionState State, OffsetToCommit Offset)> stored;
        lock (Gate)
        {
            stored = [.. _order.Where(p => p.StoredOffset >= 0)
                .Select(p => (p, new OffsetToCommit(p.Topic, p.Partition, p.StoredOffset, p.StoredLeaderEpoch, null)))];
        }
        if (stored.Count == 0) throw new KafkaException(new Error(ErrorCode.Local_NoOffset, "no offset is stored for any assigned partition"));
        await CommitAsync([.. stored.Select(s => s.Offset)], cancellationToken).ConfigureAwait(false);
        MarkCommitted(stored);
        return [.. stored.Select(s => new TopicPartitionOffset(s.Offset.Topic, s.Offset.Partition, s.Offset.Offset, EpochOrNull(s.Offset.LeaderEpoch)))];
    }

    private void MarkCommitted(List<(PartitionState State, OffsetToCommit Offset)> committed)
    {
        lock (Gate)
        {
            foreach (var (state, offset) in committed)
                if (state.StoredOffset == offset.Offset) state.StoredDirty = false;
        }
    }

    /// <summary>Commits the offsets given; throws with each partition's outcome when any fails.</summary>
    public void Commit(IReadOnlyList<OffsetToCommit> offsets) => CommitAsync(offsets, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc cref="Commit(IReadOnlyList{OffsetToCommit})"/>
    public async Task CommitAsync(IReadOnlyList<OffsetToCommit> offsets, CancellationToken cancellationToken)
    {
        var client = RequireGroup();
        if (offsets.Count == 0) return;
        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var identity = Identity.Current;
            var results = await WithinAsync(Settings.DefaultApiTimeout, "committing offsets",
                token => client.CommitAsync(offsets, identity, token), cancellationToken).ConfigureAwait(false);
            if (results.FirstOrDefault(r => r.Error != WireErrorCode.None) is { Offset.Topic: not null } failed)
            {
                if (Identity.OnCommitError(failed.Error, identity) is { } instead) throw instead;
                throw new TopicPartitionOffsetException([.. results.Select(r => new TopicPartitionOffsetError(r.Offset.Topic, r.Offset.Partition,
                    r.Offset.Offset, ToError(r.Error)))]);
            }
        }
        finally
        {
            _commitGate.Release();
        }
    }

    /// <summary>
    /// Before partitions are given up (a revocation): commits their stored offsets that changed, with the current
    /// identity, then removes them from the assignment, both under the commit gate so that no auto-commit taken
    /// earlier can land after this commit and move an offset back. A failed commit is reported, not thrown: the
    /// partitions go either way.
    /// </summary>
    public void CommitAndRemove(IReadOnlyCollection<TopicPartition> partitions, TimeSpan timeout)
    {
        _commitGate.Wait();
        try
        {
            List<(PartitionState State, OffsetToCommit Offset)> dirty;
            lock (Gate)
            {
                dirty = [.. partitions.Select(tp => _partitions.GetValueOrDefault(tp)).OfType<PartitionState>()
                    .Where(p => p.StoredDirty && p.StoredOffset >= 0)
                    .Select(p => (p, new OffsetToCommit(p.Topic, p.Partition, p.StoredOffset, p.StoredLeaderEpoch, null)))];
            }
            if (dirty.Count > 0 && GroupOffsets is { } client && Identity.TryGetCurrent(out var identity))
            {
                try
                {
                    var results = Blocking(timeout, "committing offsets of revoked partitions",
                        token => client.CommitAsync([.. dirty.Select(d => d.Offset)], identity, token));
                    MarkCommitted([.. dirty.Where(d => results.Any(r => r.Offset == d.Offset && r.Error == WireErrorCode.None))]);
                    if (results.FirstOrDefault(r => r.Error != WireErrorCode.None) is { Offset.Topic: not null } failed)
                        ReportError(Identity.OnCommitError(failed.Error, identity)?.Error
                            ?? new Error(failed.Error.ToClientErrorCode(), $"commit of revoked {failed.Offset.Topic} [{failed.Offset.Partition}]: {failed.Error.KafkaName()}"));
                }
                catch (KafkaException e)
                {
                    ReportError(e.Error);
                }
            }
            RemoveAssigned(partitions);
        }
        finally
        {
            _commitGate.Release();
        }
    }

    /// <summary>The group's committed offsets (offset -1 where there is none); throws when a partition's lookup failed.</summary>
    public List<CommittedOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var list = partitions.ToList();
        var client = RequireGroup();
        if (list.Count == 0) return [];
        var results = Blocking(timeout, "reading committed offsets", token => client.FetchAsync(list, token));
        if (results.Any(r => r.Error != WireErrorCode.None))
            throw new TopicPartitionOffsetException([.. results.Select(r => new TopicPartitionOffsetError(r.Topic, r.Partition,
                r.Offset >= 0 ? new Offset(r.Offset) : Offset.Unset, ToError(r.Error)))]);
        return results;
    }

    private GroupOffsetsClient RequireGroup() => GroupOffsets
        ?? throw new KafkaException(new Error(ErrorCode.Local_UnknownGroup, "committed offsets need a group.id, and none is set"));

    /// <summary>Asks the leader for the partition's earliest and latest offsets (latest: the last stable offset with read_committed).</summary>
    public WatermarkOffsets QueryWatermarks(TopicPartition partition, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(partition);
        var low = ListOne(partition, ListOffsetsClient.Earliest, timeout);
        var high = ListOne(partition, ListOffsetsClient.Latest, timeout);
        return new WatermarkOffsets(low.Offset, high.Offset);
    }

    private ListedOffset ListOne(TopicPartition partition, long timestamp, TimeSpan timeout)
    {
        var result = Blocking(timeout, "listing offsets",
            token => ListOffsets.ListAsync([(partition, timestamp)], Settings.IsolationLevel, token))[partition];
        if (result.Error != WireErrorCode.None)
            throw new KafkaException(new Error(TimeoutOr(result.Error), $"{partition.Topic} [{partition.Partition.Value}]: {result.Reason ?? result.Error.KafkaName()}"));
        return result;
    }

    /// <summary>For each partition, the first offset with a timestamp at or after the one given; Offset.End when none is.</summary>
    public List<TopicPartitionOffset> OffsetsForTimes(IEnumerable<TopicPartitionTimestamp> timestamps, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(timestamps);
        var queries = timestamps.Select(t => (t.TopicPartition, t.Timestamp.UnixTimestampMs)).ToList();
        if (queries.Count == 0) return [];
        var results = Blocking(timeout, "looking up offsets for times", token => ListOffsets.ListAsync(queries, Settings.IsolationLevel, token));
        var failed = queries.Where(q => results[q.TopicPartition].Error != WireErrorCode.None).ToList();
        if (failed.Count > 0)
        {
            throw new TopicPartitionOffsetException([.. queries.Select(q => results[q.TopicPartition] is var r && r.Error != WireErrorCode.None
                ? new TopicPartitionOffsetError(q.TopicPartition.Topic, q.TopicPartition.Partition, Offset.Unset, new Error(TimeoutOr(r.Error), r.Reason ?? r.Error.KafkaName()))
                : new TopicPartitionOffsetError(q.TopicPartition.Topic, q.TopicPartition.Partition, r.Offset, new Error(ErrorCode.NoError)))]);
        }
        return [.. queries.Select(q => results[q.TopicPartition] is var r && r.Offset >= 0
            ? new TopicPartitionOffset(q.TopicPartition, r.Offset, EpochOrNull(r.LeaderEpoch))
            : new TopicPartitionOffset(q.TopicPartition, Offset.End))];
    }

    private static ErrorCode TimeoutOr(WireErrorCode error) =>
        error == WireErrorCode.RequestTimedOut ? ErrorCode.Local_TimedOut : error.ToClientErrorCode();

    private static int? EpochOrNull(int epoch) => epoch >= 0 ? epoch : null;

    private static Error ToError(WireErrorCode code) => code == WireErrorCode.None ? new Error(ErrorCode.NoError) : new Error(code.ToClientErrorCode());

    /// <summary>Runs an operation for the application within a timeout, turning failures into a KafkaException.</summary>
    private T Blocking<T>(TimeSpan timeout, string what, Func<CancellationToken, Task<T>> operation) =>
        WithinAsync(timeout, what, operation, CancellationToken.None).GetAwaiter().GetResult();

    /// <summary>
    /// <see cref="Blocking"/> for async callers: the timeout's end is a Local_TimedOut KafkaException, the caller's
    /// <paramref name="cancellationToken"/> an OperationCanceledException.
    /// </summary>
    private async Task<T> WithinAsync<T>(TimeSpan timeout, string what, Func<CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(timeout, Clock);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            return await operation(either.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new KafkaException(new Error(ErrorCode.Local_TimedOut, $"{what} did not finish within {timeout.TotalMilliseconds} ms"));
        }
        catch (KafkaErrorException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"{what} was cancelled ({e.Message})", e, cancellationToken);
        }
        catch (KafkaErrorException e)
        {
            var code = deadline.IsCancellationRequested && e.Code.IsRetriable() ? ErrorCode.Local_TimedOut : e.Code.ToClientErrorCode();
            throw new KafkaException(new Error(code, $"{what}: {e.Message}"), e);
        }
        catch (BrokerConnectionException e)
        {
            throw new KafkaException(new Error(ErrorCode.Local_Transport, $"{what}: {e.Message}"), e);
        }
        catch (BrokerApiUnsupportedException e)
        {
            throw new KafkaException(new Error(ErrorCode.Local_UnsupportedFeature, $"{what}: {e.Message}"), e);
        }
    }

    /// <summary>Commits changed stored offsets every auto.commit.interval.ms; failures go to the error handler and are retried next time.</summary>
    private async Task AutoCommitLoopAsync()
    {
        var token = _stopping.Token;
        while (true)
        {
            await Task.Delay(Settings.AutoCommitInterval, Clock, token).ConfigureAwait(false);
            await _commitGate.WaitAsync(token).ConfigureAwait(false);
            try
            {
                // Between generations there is no identity to commit under: the offsets wait for the next round.
                var dirty = DirtyOffsets();
                if (dirty.Count == 0 || !Identity.TryGetCurrent(out var identity)) continue;
                using var deadline = CancellationTokenSource.CreateLinkedTokenSource(token);
                deadline.CancelAfter(Settings.DefaultApiTimeout);
                var results = await GroupOffsets!.CommitAsync([.. dirty.Select(d => d.Offset)], identity, deadline.Token).ConfigureAwait(false);
                MarkCommitted([.. dirty.Where(d => results.Any(r => r.Offset == d.Offset && r.Error == WireErrorCode.None))]);
                if (results.FirstOrDefault(r => r.Error != WireErrorCode.None) is { Offset.Topic: not null } failed)
                {
                    var error = Identity.OnCommitError(failed.Error, identity)?.Error
                        ?? new Error(failed.Error.ToClientErrorCode(), $"auto-commit of {failed.Offset.Topic} [{failed.Offset.Partition}]: {failed.Error.KafkaName()}");
                    ReportError(error);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception e) when (e is KafkaErrorException or BrokerConnectionException or OperationCanceledException or BrokerApiUnsupportedException or KafkaException)
            {
                ReportError(e is KafkaException k ? k.Error : new Error(ErrorCode.Local_Fail, "auto-commit failed: " + e.Message));
            }
            finally
            {
                _commitGate.Release();
            }
        }
    }

    private List<(PartitionState State, OffsetToCommit Offset)> DirtyOffsets()
    {
        lock (Gate)
        {
            return [.. _order.Where(p => p.StoredDirty && p.StoredOffset >= 0)
                .Select(p => (p, new OffsetToCommit(p.Topic, p.Partition, p.StoredOffset, p.StoredLeaderEpoch, null)))];
        }
    }

    /// <summary>The final auto-commit on Close; a failure there cannot be reported anywhere useful, so it is dropped.</summary>
    private void CommitDirtyQuietly()
    {
        var dirty = DirtyOffsets();
        if (dirty.Count == 0) return;
        try
        {
            Commit([.. dirty.Select(d => d.Offset)]);
        }
        catch (KafkaException)
        {
        }
    }
}
