using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Consumer;

/// <summary>
/// Finds positions for partitions that start from a logical offset: the group's committed offset (OffsetFetch),
/// else auto.offset.reset; or the earliest or latest offset (ListOffsets to each leader, at the consumer's
/// isolation level). Results apply only if the partition is still at the generation the lookup began under;
/// failures are retried by the fetch loop after retry.backoff.ms.
/// </summary>
internal sealed class PositionLookups(ConsumerCore core, CancellationToken stop)
{
    private int _running;

    /// <summary>Lookups under way.</summary>
    public int Running => Volatile.Read(ref _running);

    public void Start(IReadOnlyList<Fetcher.Lookup> lookups)
    {
        var committed = lookups.Where(l => l.Kind == PositionLookup.Committed).ToList();
        var listed = lookups.Where(l => l.Kind is PositionLookup.Earliest or PositionLookup.Latest).ToList();
        if (committed.Count > 0) Run(() => CommittedAsync(committed));
        if (listed.Count > 0) Run(() => ListedAsync(listed));
    }

    private void Run(Func<Task> lookup)
    {
        Interlocked.Increment(ref _running);
        _ = Task.Run(async () =>
        {
            try { await lookup().ConfigureAwait(false); }
            finally
            {
                Interlocked.Decrement(ref _running);
                core.WakeFetcher();
            }
        });
    }

    private async Task CommittedAsync(List<Fetcher.Lookup> lookups)
    {
        List<CommittedOffset> results;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
            deadline.CancelAfter(core.Settings.Connection.RequestTimeout);
            results = await core.GroupOffsets!.FetchAsync([.. lookups.Select(l => l.State.TopicPartition)], deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KafkaErrorException or BrokerConnectionException or OperationCanceledException or BrokerApiUnsupportedException)
        {
            if (stop.IsCancellationRequested) return;
            Retry(lookups);
            core.ReportError(new Error(ErrorCode.Local_Fail, "reading committed offsets failed: " + e.Message));
            return;
        }
        lock (core.Gate)
        {
            for (int i = 0; i < lookups.Count; i++)
            {
                var (state, generation, _) = lookups[i];
                if (state.Removed || state.Generation != generation) continue;
                state.LookupInFlight = false;
                var result = results[i];
                if (result.Error != WireErrorCode.None)
                {
                    state.NotBefore = core.After(core.Settings.RetryBackoff);
                    if (!result.Error.IsRetriable())
                        core.QueueConsumeErrorOnce(state, result.Error.ToClientErrorCode(),
                            $"{state.Topic} [{state.Partition}]: reading the committed offset failed with {result.Error.KafkaName()}");
                }
                else if (result.Offset >= 0) state.StartAt(result.Offset, result.LeaderEpoch);
                else state.Lookup = PositionLookup.ResetPolicy; // nothing committed: auto.offset.reset decides
            }
        }
    }

    private async Task ListedAsync(List<Fetcher.Lookup> lookups)
    {
        Dictionary<TopicPartition, ListedOffset> results;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stop);
            deadline.CancelAfter(core.Settings.Connection.RequestTimeout);
            var queries = lookups.Select(l => (l.State.TopicPartition, l.Kind == PositionLookup.Earliest ? ListOffsetsClient.Earliest : ListOffsetsClient.Latest)).ToList();
            results = await core.ListOffsets.ListOnceAsync(queries, core.Settings.IsolationLevel, deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KafkaErrorException or BrokerConnectionException or OperationCanceledException or BrokerApiUnsupportedException)
        {
            if (stop.IsCancellationRequested) return;
            Retry(lookups);
            core.ReportError(new Error(ErrorCode.Local_Fail, "looking up offsets failed: " + e.Message));
            return;
        }
        bool refresh = false;
        lock (core.Gate)
        {
            foreach (var (state, generation, kind) in lookups)
            {
                if (state.Removed || state.Generation != generation) continue;
                state.LookupInFlight = false;
                if (!results.TryGetValue(state.TopicPartition, out var result)) result = new ListedOffset(WireErrorCode.UnknownServerError, -1, -1, -1);
                if (result.Error == WireErrorCode.None && result.Offset >= 0)
                {
                    state.StartAt(result.Offset, result.LeaderEpoch);
                    continue;
                }
                state.NotBefore = core.After(core.Settings.RetryBackoff);
                refresh |= result.Error.IsRetriable();
                if (!result.Error.IsRetriable() && result.Error != WireErrorCode.None)
                    core.QueueConsumeErrorOnce(state, result.Error.ToClientErrorCode(),
                        $"{state.Topic} [{state.Partition}]: looking up the {(kind == PositionLookup.Earliest ? "earliest" : "latest")} offset failed with {result.Error.KafkaName()}");
            }
        }
        if (refresh) core.Metadata.RequestRefresh();
    }

    private void Retry(List<Fetcher.Lookup> lookups)
    {
        lock (core.Gate)
        {
            foreach (var (state, generation, _) in lookups)
            {
                if (state.Removed || state.Generation != generation) continue;
                state.LookupInFlight = false;
                state.NotBefore = core.After(core.Settings.RetryBackoff);
            }
        }
    }
}
