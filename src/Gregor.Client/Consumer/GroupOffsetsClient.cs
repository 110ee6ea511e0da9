using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Consumer;

/// <summary>An offset to commit: the next record to read, the leader epoch of the record before it, and metadata.</summary>
internal readonly record struct OffsetToCommit(string Topic, int Partition, long Offset, int LeaderEpoch, string? Metadata);

/// <summary>A committed offset as OffsetFetch returned it (offset -1 when the group has none for the partition).</summary>
internal readonly record struct CommittedOffset(string Topic, int Partition, WireErrorCode Error, long Offset, int LeaderEpoch, string? Metadata);

/// <summary>
/// Commits offsets with OffsetCommit and reads them back with OffsetFetch, through the group's coordinator
/// (<see cref="GroupCoordinatorClient"/> rediscovers and retries on coordinator errors). Commits carry the
/// identity the provider gives: a standalone consumer's generation -1 and empty member id, or a member's.
/// </summary>
internal sealed class GroupOffsetsClient(GroupCoordinatorClient coordinator, TimeProvider clock, TimeSpan retryBackoff)
{
    /// <summary>Commits the offsets; returns each partition's error (None when it was stored).</summary>
    public async Task<List<(OffsetToCommit Offset, WireErrorCode Error)>> CommitAsync(IReadOnlyList<OffsetToCommit> offsets, GroupMemberIdentity identity,
        CancellationToken cancellationToken)
    {
        var response = await coordinator.SendAsync<OffsetCommitRequest, OffsetCommitResponse>(_ => new OffsetCommitRequest
        {
            GroupId = coordinator.GroupId,
            GenerationIdOrMemberEpoch = identity.GenerationId,
            MemberId = identity.MemberId,
            GroupInstanceId = identity.GroupInstanceId,
            Topics = [.. offsets.GroupBy(o => o.Topic, StringComparer.Ordinal).Select(g => new OffsetCommitRequest.OffsetCommitRequestTopic
            {
                Name = g.Key,
                Partitions = [.. g.Select(o => new OffsetCommitRequest.OffsetCommitRequestPartition
                {
                    PartitionIndex = o.Partition,
                    CommittedOffset = o.Offset,
                    CommittedLeaderEpoch = o.LeaderEpoch,
                    CommittedMetadata = o.Metadata,
                })],
            })],
        }, FirstCoordinatorError, cancellationToken).ConfigureAwait(false);
        var answers = new Dictionary<(string, int), WireErrorCode>();
        foreach (var topic in response.Topics)
            foreach (var p in topic.Partitions)
                answers[(topic.Name, p.PartitionIndex)] = (WireErrorCode)p.ErrorCode;
        return [.. offsets.Select(o => (o, answers.TryGetValue((o.Topic, o.Partition), out var error) ? error : WireErrorCode.UnknownServerError))];
    }

    private static WireErrorCode FirstCoordinatorError(OffsetCommitResponse response)
    {
        foreach (var topic in response.Topics)
            foreach (var p in topic.Partitions)
            {
                var error = (WireErrorCode)p.ErrorCode;
                if (GroupCoordinatorClient.MeansCoordinatorMoved(error) || error == WireErrorCode.CoordinatorLoadInProgress) return error;
            }
        return WireErrorCode.None;
    }

    /// <summary>
    /// The group's committed offsets of the partitions. While the coordinator reports UNSTABLE_OFFSET_COMMIT (a
    /// transaction's offsets pending) it asks again after a backoff, as Kafka's consumer does.
    /// </summary>
    public async Task<List<CommittedOffset>> FetchAsync(IReadOnlyList<TopicPartition> partitions, CancellationToken cancellationToken)
    {
        while (true)
        {
            short used = 0;
            var response = await coordinator.SendAsync<OffsetFetchRequest, OffsetFetchResponse>(version =>
            {
                used = version;
                return Request(partitions, version);
            }, r => GroupError(r, used), cancellationToken).ConfigureAwait(false);
            var results = Read(response, used, partitions);
            if (results.Any(r => r.Error == WireErrorCode.UnstableOffsetCommit))
            {
                await Task.Delay(retryBackoff, clock, cancellationToken).ConfigureAwait(false);
                continue;
            }
            return results;
        }
    }

    private OffsetFetchRequest Request(IReadOnlyList<TopicPartition> partitions, short version)
    {
        var byTopic = partitions.GroupBy(p => p.Topic, StringComparer.Ordinal).ToList();
        var request = new OffsetFetchRequest { RequireStable = true };
        if (version >= 8)
        {
            request.Groups.Add(new OffsetFetchRequest.OffsetFetchRequestGroup
            {
                GroupId = coordinator.GroupId,
                Topics = [.. byTopic.Select(g => new OffsetFetchRequest.OffsetFetchRequestTopics { Name = g.Key, PartitionIndexes = [.. g.Select(p => p.Partition.Value)] })],
            });
        }
        else
        {
            request.GroupId = coordinator.GroupId;
            request.Topics = [.. byTopic.Select(g => new OffsetFetchRequest.OffsetFetchRequestTopic { Name = g.Key, PartitionIndexes = [.. g.Select(p => p.Partition.Value)] })];
        }
        return request;
    }

    private static WireErrorCode GroupError(OffsetFetchResponse response, short version)
    {
        if (version >= 8) return response.Groups.Count > 0 ? (WireErrorCode)response.Groups[0].ErrorCode : WireErrorCode.None;
        if (version >= 2 && response.ErrorCode != 0) return (WireErrorCode)response.ErrorCode;
        // Before v2 a coordinator error came in each partition.
        foreach (var topic in response.Topics)
            foreach (var p in topic.Partitions)
                if (GroupCoordinatorClient.MeansCoordinatorMoved((WireErrorCode)p.ErrorCode) || p.ErrorCode == (short)WireErrorCode.CoordinatorLoadInProgress)
                    return (WireErrorCode)p.ErrorCode;
        return WireErrorCode.None;
    }

    private static List<CommittedOffset> Read(OffsetFetchResponse response, short version, IReadOnlyList<TopicPartition> asked)
    {
        var found = new Dictionary<(string, int), CommittedOffset>();
        var groupError = WireErrorCode.None;
        if (version >= 8)
        {
            foreach (var group in response.Groups)
            {
                groupError = (WireErrorCode)group.ErrorCode;
                foreach (var topic in group.Topics)
                    foreach (var p in topic.Partitions)
                        found[(topic.Name, p.PartitionIndex)] = new(topic.Name, p.PartitionIndex, (WireErrorCode)p.ErrorCode, p.CommittedOffset, p.CommittedLeaderEpoch, p.Metadata);
            }
        }
        else
        {
            if (version >= 2) groupError = (WireErrorCode)response.ErrorCode;
            foreach (var topic in response.Topics)
                foreach (var p in topic.Partitions)
                    found[(topic.Name, p.PartitionIndex)] = new(topic.Name, p.PartitionIndex, (WireErrorCode)p.ErrorCode, p.CommittedOffset, p.CommittedLeaderEpoch, p.Metadata);
        }
        return [.. asked.Select(tp => found.TryGetValue((tp.Topic, tp.Partition.Value), out var c) ? c
            : new CommittedOffset(tp.Topic, tp.Partition.Value, groupError != WireErrorCode.None ? groupError : WireErrorCode.UnknownServerError, -1, -1, null))];
    }
}
