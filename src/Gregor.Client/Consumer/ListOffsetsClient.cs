using Gregor.Client.Metadata;
using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Consumer;

/// <summary>One partition's answer to ListOffsets.</summary>
internal readonly record struct ListedOffset(WireErrorCode Error, long Offset, long Timestamp, int LeaderEpoch, string? Reason = null);

/// <summary>
/// Asks partition leaders for offsets by timestamp (-2 earliest, -1 latest, or a time) with ListOffsets, one
/// request per leader. <see cref="ListOnceAsync"/> makes one round and reports each partition's outcome (no
/// leader known and lost connections become retriable errors); <see cref="ListAsync"/> repeats the retriable
/// ones after a metadata refresh until they succeed or the token ends.
/// </summary>
internal sealed class ListOffsetsClient(MetadataManager metadata, TimeProvider clock, TimeSpan retryBackoff)
{
    public const long Earliest = -2;
    public const long Latest = -1;

    public async Task<Dictionary<TopicPartition, ListedOffset>> ListOnceAsync(IReadOnlyCollection<(TopicPartition Partition, long Timestamp)> queries,
        sbyte isolationLevel, CancellationToken cancellationToken)
    {
        var results = new Dictionary<TopicPartition, ListedOffset>();
        bool unknown = false;
        foreach (var (tp, _) in queries) unknown |= metadata.AddTopic(tp.Topic) || !metadata.Current.Topics.ContainsKey(tp.Topic);
        if (unknown) await metadata.RefreshAsync(cancellationToken).ConfigureAwait(false);
        var current = metadata.Current;
        var byLeader = new Dictionary<int, List<(TopicPartition Partition, long Timestamp)>>();
        foreach (var query in queries)
        {
            var (tp, _) = query;
            if (current.TryGetLeader(tp.Topic, tp.Partition, out int leader, out _))
            {
                if (!byLeader.TryGetValue(leader, out var list)) byLeader[leader] = list = [];
                list.Add(query);
                continue;
            }
            results[tp] = new ListedOffset(Unavailable(current, tp), -1, -1, -1);
        }
        if (results.Count > 0) metadata.RequestRefresh();
        var answers = await Task.WhenAll(byLeader.Select(kv => AskLeaderAsync(kv.Key, kv.Value, isolationLevel, cancellationToken))).ConfigureAwait(false);
        foreach (var answer in answers)
            foreach (var (tp, listed) in answer)
                results[tp] = listed;
        return results;
    }

    /// <summary>Why a partition has no leader to ask: the topic's error, an unknown partition, or no leader now.</summary>
    private static WireErrorCode Unavailable(ClusterMetadata current, TopicPartition tp) =>
        !current.Topics.TryGetValue(tp.Topic, out var t) ? WireErrorCode.UnknownTopicOrPartition
        : t.Error != WireErrorCode.None ? t.Error
        : tp.Partition.Value < 0 || tp.Partition.Value >= t.Partitions.Length ? WireErrorCode.UnknownTopicOrPartition
        : WireErrorCode.LeaderNotAvailable;

    private async Task<List<(TopicPartition, ListedOffset)>> AskLeaderAsync(int leader, List<(TopicPartition Partition, long Timestamp)> queries,
        sbyte isolationLevel, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await metadata.ConnectionToNodeAsync(leader, cancellationToken).ConfigureAwait(false);
            short version = connection.Versions.Highest(ApiKey.ListOffsets);
            var request = new ListOffsetsRequest
            {
                ReplicaId = -1,
                IsolationLevel = isolationLevel,
                TimeoutMs = (int)Math.Min(int.MaxValue, metadata.Pool.Settings.RequestTimeout.TotalMilliseconds),
                Topics = [.. queries.GroupBy(q => q.Partition.Topic, StringComparer.Ordinal).Select(g => new ListOffsetsRequest.ListOffsetsTopic
                {
                    Name = g.Key,
                    Partitions = [.. g.Select(q => new ListOffsetsRequest.ListOffsetsPartition
                    {
                        PartitionIndex = q.Partition.Partition.Value,
                        Timestamp = q.Timestamp,
                        CurrentLeaderEpoch = LeaderEpoch(q.Partition),
                    })],
                })],
            };
            var response = await connection.SendAsync<ListOffsetsRequest, ListOffsetsResponse>(request, version, cancellationToken).ConfigureAwait(false);
            var answers = new Dictionary<(string, int), ListedOffset>();
            foreach (var topic in response.Topics)
                foreach (var p in topic.Partitions)
                {
                    long offset = version == 0 ? (p.OldStyleOffsets.Count > 0 ? p.OldStyleOffsets[0] : -1) : p.Offset;
                    answers[(topic.Name, p.PartitionIndex)] = new ListedOffset((WireErrorCode)p.ErrorCode, offset, p.Timestamp, p.LeaderEpoch);
                }
            return [.. queries.Select(q => (q.Partition, answers.TryGetValue((q.Partition.Topic, q.Partition.Partition.Value), out var a) ? a
                : new ListedOffset(WireErrorCode.UnknownServerError, -1, -1, -1, "the leader's answer left this partition out")))];
        }
        catch (Exception e) when (e is BrokerConnectionException or KafkaErrorException)
        {
            metadata.RequestRefresh();
            var code = e is BrokerConnectionException c ? c.Code : ((KafkaErrorException)e).Code;
            return [.. queries.Select(q => (q.Partition, new ListedOffset(code, -1, -1, -1, e.Message)))];
        }
    }

    private int LeaderEpoch(TopicPartition tp) =>
        metadata.Current.Topics.TryGetValue(tp.Topic, out var t) && tp.Partition.Value >= 0 && tp.Partition.Value < t.Partitions.Length
            ? t.Partitions[tp.Partition.Value].LeaderEpoch : -1;

    /// <summary>
    /// Lists until every partition has an answer that is not retriable (success included), refreshing metadata
    /// between rounds; when the token ends first, the last round's answers are returned as they are.
    /// </summary>
    public async Task<Dictionary<TopicPartition, ListedOffset>> ListAsync(IReadOnlyCollection<(TopicPartition Partition, long Timestamp)> queries,
        sbyte isolationLevel, CancellationToken cancellationToken)
    {
        var done = new Dictionary<TopicPartition, ListedOffset>();
        var pending = queries.ToList();
        while (true)
        {
            Dictionary<TopicPartition, ListedOffset> round;
            try
            {
                round = await ListOnceAsync(pending, isolationLevel, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is KafkaErrorException or BrokerConnectionException && !cancellationToken.IsCancellationRequested)
            {
                round = pending.ToDictionary(q => q.Partition, q => new ListedOffset(WireErrorCode.NetworkException, -1, -1, -1, e.Message));
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && done.Count + pending.Count > 0)
            {
                foreach (var q in pending)
                    done[q.Partition] = new ListedOffset(WireErrorCode.RequestTimedOut, -1, -1, -1, "no answer before the timeout");
                return done;
            }
            pending = [.. pending.Where(q => round[q.Partition].Error.IsRetriable() || round[q.Partition].Error == WireErrorCode.NetworkException)];
            foreach (var (tp, listed) in round)
                if (!pending.Any(q => q.Partition == tp)) done[tp] = listed;
            if (pending.Count == 0) return done;
            try
            {
                await Task.Delay(retryBackoff, clock, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                foreach (var q in pending) done[q.Partition] = round[q.Partition];
                return done;
            }
        }
    }
}
