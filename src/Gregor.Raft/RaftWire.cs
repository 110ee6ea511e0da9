using Gregor.Protocol;
using Gregor.Protocol.Records;
using W = Gregor.Protocol.Messages;

namespace Gregor.Raft;

/// <summary>
/// The Raft core's messages to and from Kafka's KRaft RPCs, for partition 0 of <c>__cluster_metadata</c>: requests
/// and answers in both directions (the sending node builds a request and reads its answer; the receiving node reads
/// the request and builds the answer). A request for any other partition, or with another cluster id, is refused by
/// the receiving side with Kafka's error. Batches travel as the stored v2 record batches.
/// </summary>
public static class RaftWire
{
    // ---- Vote ----

    public static W.VoteRequest ToWire(VoteRequest r, string clusterId, int destination) => new()
    {
        ClusterId = clusterId,
        VoterId = destination,
        Topics =
        [
            new W.VoteRequest.TopicData
            {
                TopicName = MetadataTopic.Name,
                Partitions =
                [
                    new W.VoteRequest.PartitionData
                    {
                        PartitionIndex = MetadataTopic.Partition,
                        CandidateEpoch = r.CandidateEpoch,
                        CandidateId = r.CandidateId,
                        LastOffsetEpoch = r.LastLogPosition.Epoch,
                        LastOffset = r.LastLogPosition.Offset,
                        PreVote = r.PreVote,
                    },
                ],
            },
        ],
    };

    public static VoteRequest? FromWire(W.VoteRequest w, out ErrorCode error)
    {
        var p = SinglePartition(w.Topics, t => t.TopicName, t => t.Partitions, p => p.PartitionIndex, out error);
        return p is null ? null : new VoteRequest(p.CandidateEpoch, p.CandidateId, new OffsetAndEpoch(p.LastOffset, p.LastOffsetEpoch), p.PreVote);
    }

    public static W.VoteResponse ToWire(VoteResponse r) => new()
    {
        Topics =
        [
            new W.VoteResponse.TopicData
            {
                TopicName = MetadataTopic.Name,
                Partitions = [new W.VoteResponse.PartitionData { PartitionIndex = MetadataTopic.Partition, ErrorCode = (short)r.Error, LeaderId = r.LeaderId, LeaderEpoch = r.Epoch, VoteGranted = r.VoteGranted }],
            },
        ],
    };

    public static VoteResponse? FromWire(W.VoteResponse w, bool preVote)
    {
        if (w.ErrorCode != 0 || w.Topics.Count != 1 || w.Topics[0].Partitions.Count != 1) return null;
        var p = w.Topics[0].Partitions[0];
        return new VoteResponse((ErrorCode)p.ErrorCode, p.LeaderEpoch, p.LeaderId, p.VoteGranted, preVote);
    }

    // ---- BeginQuorumEpoch ----

    public static W.BeginQuorumEpochRequest ToWire(BeginQuorumEpochRequest r, string clusterId, int destination) => new()
    {
        ClusterId = clusterId,
        VoterId = destination,
        Topics =
        [
            new W.BeginQuorumEpochRequest.TopicData
            {
                TopicName = MetadataTopic.Name,
                Partitions = [new W.BeginQuorumEpochRequest.PartitionData { PartitionIndex = MetadataTopic.Partition, LeaderId = r.LeaderId, LeaderEpoch = r.Epoch }],
            },
        ],
    };

    public static BeginQuorumEpochRequest? FromWire(W.BeginQuorumEpochRequest w, out ErrorCode error)
    {
        var p = SinglePartition(w.Topics, t => t.TopicName, t => t.Partitions, p => p.PartitionIndex, out error);
        return p is null ? null : new BeginQuorumEpochRequest(p.LeaderEpoch, p.LeaderId);
    }

    public static W.BeginQuorumEpochResponse ToWire(BeginQuorumEpochResponse r) => new()
    {
        Topics =
        [
            new W.BeginQuorumEpochResponse.TopicData
            {
                TopicName = MetadataTopic.Name,
                Partitions = [new W.BeginQuorumEpochResponse.PartitionData { PartitionIndex = MetadataTopic.Partition, ErrorCode = (short)r.Error, LeaderId = r.LeaderId, LeaderEpoch = r.Epoch }],
            },
        ],
    };

    public static BeginQuorumEpochResponse? FromWire(W.BeginQuorumEpochResponse w)
    {
        if (w.ErrorCode != 0 || w.Topics.Count != 1 || w.Topics[0].Partitions.Count != 1) return null;
        var p = w.Topics[0].Partitions[0];
        return new BeginQuorumEpochResponse((ErrorCode)p.ErrorCode, p.LeaderEpoch, p.LeaderId);
    }

    // ---- EndQuorumEpoch ----

    public static W.EndQuorumEpochRequest ToWire(EndQuorumEpochRequest r, string clusterId) => new()
    {
        ClusterId = clusterId,
        Topics =
        [
            new W.EndQuorumEpochRequest.TopicData
            {
                TopicName = MetadataTopic.Name,
                Partitions =
                [
                    new W.EndQuorumEpochRequest.PartitionData
                    {
                        PartitionIndex = MetadataTopic.Partition,
                        LeaderId = r.LeaderId,
                        LeaderEpoch = r.Epoch,
                        PreferredSuccessors = [.. r.PreferredSuccessors],
                        PreferredCandidates = [.. r.PreferredSuccessors.Select(id => new W.EndQuorumEpochRequest.ReplicaInfo { CandidateId = id })],
                    },
                ],
            },
        ],
    };

    public static EndQuorumEpochRequest? FromWire(W.EndQuorumEpochRequest w, short version, out ErrorCode error)
    {
        var p = SinglePartition(w.Topics, t => t.TopicName, t => t.Partitions, p => p.PartitionIndex, out error);
        if (p is null) return null;
        IReadOnlyList<int> successors = version >= 1 ? [.. p.PreferredCandidates.Select(c => c.CandidateId)] : [.. p.PreferredSuccessors];
        return new EndQuorumEpochRequest(p.LeaderEpoch, p.LeaderId, successors);
    }

    public static W.EndQuorumEpochResponse ToWire(EndQuorumEpochResponse r) => new()
    {
        Topics =
        [
            new W.EndQuorumEpochResponse.TopicData
            {
                TopicName = MetadataTopic.Name,
                Partitions = [new W.EndQuorumEpochResponse.PartitionData { PartitionIndex = MetadataTopic.Partition, ErrorCode = (short)r.Error, LeaderId = r.LeaderId, LeaderEpoch = r.Epoch }],
            },
        ],
    };

    public static EndQuorumEpochResponse? FromWire(W.EndQuorumEpochResponse w)
    {
        if (w.ErrorCode != 0 || w.Topics.Count != 1 || w.Topics[0].Partitions.Count != 1) return null;
        var p = w.Topics[0].Partitions[0];
        return new EndQuorumEpochResponse((ErrorCode)p.ErrorCode, p.LeaderEpoch, p.LeaderId);
    }

    // ---- Fetch ----

    /// <summary>The first Fetch version that carries what KRaft needs (leader epochs, diverging epoch, snapshot id).</summary>
    public const short MinFetchVersion = 12;

    public static W.FetchRequest ToWire(FetchRequest r, string clusterId, short version) => new()
    {
        ClusterId = clusterId,
        ReplicaId = r.ReplicaId,
        ReplicaState = version >= 15 ? new W.FetchRequest.ReplicaStateData { ReplicaId = r.ReplicaId, ReplicaEpoch = -1 } : null,
        MaxWaitMs = r.MaxWaitMs,
        MinBytes = 0,
        MaxBytes = r.MaxBytes,
        SessionEpoch = -1,
        Topics =
        [
            new W.FetchRequest.FetchTopic
            {
                Topic = MetadataTopic.Name,
                TopicId = MetadataTopic.Id,
                Partitions =
                [
                    new W.FetchRequest.FetchPartition
                    {
                        Partition = MetadataTopic.Partition,
                        CurrentLeaderEpoch = r.ReplicaEpoch,
                        FetchOffset = r.FetchOffset,
                        LastFetchedEpoch = r.LastFetchedEpoch,
                        LogStartOffset = -1,
                        PartitionMaxBytes = r.MaxBytes,
                    },
                ],
            },
        ],
    };

    /// <summary>Whether a Fetch asks for the metadata log (and only it): such a fetch goes to the quorum, not the data plane.</summary>
    public static bool IsMetadataFetch(W.FetchRequest w, short version) =>
        w.Topics.Count == 1
        && (version >= 13 ? w.Topics[0].TopicId == MetadataTopic.Id : w.Topics[0].Topic == MetadataTopic.Name);

    public static FetchRequest? FromWire(W.FetchRequest w, short version, out ErrorCode error)
    {
        error = ErrorCode.None;
        if (!IsMetadataFetch(w, version) || w.Topics[0].Partitions.Count != 1 || w.Topics[0].Partitions[0].Partition != MetadataTopic.Partition)
        {
            error = ErrorCode.UnknownTopicOrPartition;
            return null;
        }
        if (version < MinFetchVersion)
        {
            // Before v12 a fetch carries neither the fetcher's epoch nor its last fetched epoch, which Raft needs.
            error = ErrorCode.UnsupportedVersion;
            return null;
        }
        var p = w.Topics[0].Partitions[0];
        int replicaId = version >= 15 ? w.ReplicaState?.ReplicaId ?? -1 : w.ReplicaId;
        if (replicaId < 0)
        {
            // A consumer reading the metadata log: KRaft serves only replicas.
            error = ErrorCode.InvalidRequest;
            return null;
        }
        return new FetchRequest(0, p.CurrentLeaderEpoch, replicaId, p.FetchOffset, p.LastFetchedEpoch, Math.Min(w.MaxBytes, p.PartitionMaxBytes), w.MaxWaitMs);
    }

    public static W.FetchResponse ToWire(FetchResponse r, short version)
    {
        byte[] records = Concatenate(r.Batches);
        var partition = new W.FetchResponse.PartitionData
        {
            PartitionIndex = MetadataTopic.Partition,
            ErrorCode = (short)r.Error,
            HighWatermark = r.HighWatermark,
            LogStartOffset = -1,
            CurrentLeader = new W.FetchResponse.LeaderIdAndEpoch { LeaderId = r.LeaderId, LeaderEpoch = r.LeaderEpoch },
            DivergingEpoch = r.DivergingEpoch is OffsetAndEpoch d ? new W.FetchResponse.EpochEndOffset { Epoch = d.Epoch, EndOffset = d.Offset } : null,
            SnapshotId = r.SnapshotId is SnapshotId s ? new W.FetchResponse.SnapshotId { EndOffset = s.EndOffset, Epoch = s.Epoch } : null,
            Records = records,
        };
        return new W.FetchResponse
        {
            Responses = [new W.FetchResponse.FetchableTopicResponse { Topic = MetadataTopic.Name, TopicId = MetadataTopic.Id, Partitions = [partition] }],
        };
    }

    /// <summary>Reads a Fetch answer; the batches are copied out of the frame, which the caller releases.</summary>
    public static FetchResponse? FromWire(W.FetchResponse w, int correlationId, int maxBatchBytes)
    {
        if (w.ErrorCode != 0 || w.Responses.Count != 1 || w.Responses[0].Partitions.Count != 1) return null;
        var p = w.Responses[0].Partitions[0];
        var batches = new List<RaftBatch>();
        if (p.Records is ReadOnlyMemory<byte> records && !records.IsEmpty)
        {
            var enumerator = new RecordBatchEnumerator(records.Span, maxBatchBytes);
            while (enumerator.MoveNext())
            {
                ReadOnlySpan<byte> batch = enumerator.Current;
                if (RecordBatchHeader.Magic(batch) != 2) throw new InvalidDataException("a metadata log batch that is not v2");
                batches.Add(new RaftBatch(RecordBatchHeader.BaseOffset(batch), RecordBatchHeader.PartitionLeaderEpoch(batch),
                    RecordBatchHeader.LastOffsetDelta(batch) + 1, (RecordBatchHeader.Attributes(batch) & RecordBatchAttributes.Control) != 0, batch.ToArray()));
            }
            if (!enumerator.Error.IsValid) throw new InvalidDataException($"malformed batches in a metadata log fetch: {enumerator.Error}");
        }
        OffsetAndEpoch? diverging = p.DivergingEpoch is { Epoch: >= 0 } d ? new OffsetAndEpoch(d.EndOffset, d.Epoch) : null;
        SnapshotId? snapshot = p.SnapshotId is { EndOffset: >= 0, Epoch: >= 0 } s ? new SnapshotId(s.EndOffset, s.Epoch) : null;
        int leaderId = p.CurrentLeader?.LeaderId ?? -1;
        int leaderEpoch = p.CurrentLeader?.LeaderEpoch ?? -1;
        return new FetchResponse(correlationId, (ErrorCode)p.ErrorCode, leaderId, leaderEpoch, p.HighWatermark, batches, diverging, snapshot);
    }

    // ---- FetchSnapshot ----

    public static W.FetchSnapshotRequest ToWire(FetchSnapshotRequest r, string clusterId) => new()
    {
        ClusterId = clusterId,
        ReplicaId = r.ReplicaId,
        MaxBytes = r.MaxBytes,
        Topics =
        [
            new W.FetchSnapshotRequest.TopicSnapshot
            {
                Name = MetadataTopic.Name,
                Partitions =
                [
                    new W.FetchSnapshotRequest.PartitionSnapshot
                    {
                        Partition = MetadataTopic.Partition,
                        CurrentLeaderEpoch = r.ReplicaEpoch,
                        SnapshotId = new W.FetchSnapshotRequest.SnapshotId { EndOffset = r.SnapshotId.EndOffset, Epoch = r.SnapshotId.Epoch },
                        Position = r.Position,
                    },
                ],
            },
        ],
    };

    public static FetchSnapshotRequest? FromWire(W.FetchSnapshotRequest w, out ErrorCode error)
    {
        var p = SinglePartition(w.Topics, t => t.Name, t => t.Partitions, p => p.Partition, out error);
        if (p is null) return null;
        var id = new SnapshotId(p.SnapshotId?.EndOffset ?? -1, p.SnapshotId?.Epoch ?? -1);
        return new FetchSnapshotRequest(0, p.CurrentLeaderEpoch, w.ReplicaId, id, p.Position, w.MaxBytes);
    }

    public static W.FetchSnapshotResponse ToWire(FetchSnapshotResponse r) => new()
    {
        Topics =
        [
            new W.FetchSnapshotResponse.TopicSnapshot
            {
                Name = MetadataTopic.Name,
                Partitions =
                [
                    new W.FetchSnapshotResponse.PartitionSnapshot
                    {
                        Index = MetadataTopic.Partition,
                        ErrorCode = (short)r.Error,
                        SnapshotId = new W.FetchSnapshotResponse.SnapshotId { EndOffset = r.SnapshotId.EndOffset, Epoch = r.SnapshotId.Epoch },
                        CurrentLeader = new W.FetchSnapshotResponse.LeaderIdAndEpoch { LeaderId = r.LeaderId, LeaderEpoch = r.LeaderEpoch },
                        SnapshotSize = r.Size,
                        Position = r.Position,
                        UnalignedRecords = r.Bytes,
                    },
                ],
            },
        ],
    };

    public static FetchSnapshotResponse? FromWire(W.FetchSnapshotResponse w, int correlationId)
    {
        if (w.ErrorCode != 0 || w.Topics.Count != 1 || w.Topics[0].Partitions.Count != 1) return null;
        var p = w.Topics[0].Partitions[0];
        var id = new SnapshotId(p.SnapshotId?.EndOffset ?? -1, p.SnapshotId?.Epoch ?? -1);
        byte[] bytes = p.UnalignedRecords is ReadOnlyMemory<byte> m ? m.ToArray() : [];
        return new FetchSnapshotResponse(correlationId, (ErrorCode)p.ErrorCode, p.CurrentLeader?.LeaderId ?? -1, p.CurrentLeader?.LeaderEpoch ?? -1, id, p.SnapshotSize, p.Position, bytes);
    }

    // ---- shared ----

    private static TPartition? SinglePartition<TTopic, TPartition>(List<TTopic> topics, Func<TTopic, string> name, Func<TTopic, List<TPartition>> partitions,
        Func<TPartition, int> index, out ErrorCode error) where TPartition : class
    {
        error = ErrorCode.None;
        if (topics.Count == 1 && name(topics[0]) == MetadataTopic.Name)
        {
            var list = partitions(topics[0]);
            if (list.Count == 1 && index(list[0]) == MetadataTopic.Partition) return list[0];
        }
        error = ErrorCode.UnknownTopicOrPartition;
        return null;
    }

    private static byte[] Concatenate(IReadOnlyList<RaftBatch> batches)
    {
        int size = 0;
        foreach (var b in batches) size += b.Payload.Length;
        var bytes = new byte[size];
        int at = 0;
        foreach (var b in batches)
        {
            b.Payload.Span.CopyTo(bytes.AsSpan(at));
            at += b.Payload.Length;
        }
        return bytes;
    }
}
