using System.Runtime.InteropServices;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Producers;
using Gregor.Broker.Replication;
using Gregor.Metadata;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Records;
using Microsoft.Extensions.Logging;
using static Gregor.Protocol.Messages.ProduceResponse;

namespace Gregor.Broker.Handlers;

/// <summary>
/// Produce, every version (advertised from v0, as Kafka does, because librdkafka reads features off the
/// advertised range). Each partition's batches are checked and appended in place in the request frame (the
/// log rewrites offsets in the header; nothing is copied or recompressed). acks=0 gets no response, acks=1
/// is answered after the leader's append, acks=-1 after the high watermark passes the append (every in-sync
/// replica has it; on one node that is at once). Produce v0-v2 may carry magic 0/1 message sets: those are
/// converted to one v2 batch with the same codec before the append, as Kafka up-converts them. Checks come in Kafka's
/// order: the partition is hosted, not internal, led here, has enough in-sync replicas for acks=all; then an idempotent
/// batch naming a producer id this cluster never issued is refused with UNKNOWN_PRODUCER_ID before the append.
/// </summary>
public sealed class ProduceHandler(ReplicaManager replicas, IssuedProducerIds issuedIds, ILogger<ProduceHandler> logger) : ApiHandler<ProduceRequest, ProduceResponse>
{
    private const short FirstV2BatchVersion = 3;
    private const short FirstCurrentLeaderVersion = 10;

    public override ApiKey Api => ApiKey.Produce;

    protected override async ValueTask<ProduceResponse?> HandleAsync(RequestContext context, ProduceRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        short acks = request.Acks;
        bool acksValid = acks is 0 or 1 or -1;
        long now = replicas.NowMs;
        var response = new ProduceResponse();
        List<PendingAck>? pending = null;
        bool anyError = false;
        foreach (ProduceRequest.TopicProduceData topic in request.TopicData)
        {
            var topicResponse = new TopicProduceResponse { Name = topic.Name, PartitionResponses = new(topic.PartitionData.Count) };
            response.Responses.Add(topicResponse);
            foreach (ProduceRequest.PartitionProduceData data in topic.PartitionData)
            {
                var partitionResponse = new PartitionProduceResponse { Index = data.Index };
                topicResponse.PartitionResponses.Add(partitionResponse);
                if (!acksValid)
                {
                    SetError(partitionResponse, ErrorCode.InvalidRequiredAcks, $"acks must be 0, 1 or -1 (all), not {acks}.");
                    anyError = true;
                    continue;
                }
                HostedPartition? partition = replicas.GetPartition(topic.Name, data.Index);
                if (partition is null)
                {
                    SetError(partitionResponse, replicas.NotServedError(topic.Name, data.Index), null);
                    anyError = true;
                    continue;
                }
                if (InternalTopics.IsInternal(topic.Name))
                {
                    // Only the coordinators write there; a client's record could poison their state on reload.
                    SetError(partitionResponse, ErrorCode.InvalidTopicException, $"Cannot append to internal topic {topic.Name}.");
                    anyError = true;
                    continue;
                }
                // Leadership before anything about the records or the ISR, in Kafka's order: a follower knows nothing of
                // the partition's producers or in-sync replicas that a client should act on, only where the leader is.
                ErrorCode leadership = partition.CheckLeader(-1);
                if (leadership != ErrorCode.None)
                {
                    // Remembered: this broker may lead the partition a moment from now, before the producer resends this batch.
                    if (data.Records is { } notLed)
                        partition.RefusedBatches.Refused(notLed.Span, now);
                    SetError(partitionResponse, leadership, null);
                    if (leadership == ErrorCode.NotLeaderOrFollower && version >= FirstCurrentLeaderVersion)
                        AddCurrentLeader(response, partitionResponse, partition);
                    anyError = true;
                    continue;
                }
                if (acks == -1 && partition.InSyncReplicaCount < partition.Settings.MinInsyncReplicas)
                {
                    if (data.Records is { } unwritten)
                        partition.RefusedBatches.Refused(unwritten.Span, now);
                    SetError(partitionResponse, ErrorCode.NotEnoughReplicas,
                        $"{partition.InSyncReplicaCount} in-sync replicas, min.insync.replicas is {partition.Settings.MinInsyncReplicas}.");
                    anyError = true;
                    continue;
                }
                long producerId = ProducerIdOf(data.Records);
                if (producerId >= 0 && !issuedIds.IsIssued(producerId)
                    && await IsUnissuedAsync(partition, data.Records!.Value, producerId, version, now, cancellationToken).ConfigureAwait(false))
                {
                    partition.RefusedBatches.Refused(data.Records!.Value.Span, now);
                    SetError(partitionResponse, IfStillLeading(ErrorCode.UnknownProducerId),
                        $"Producer id {producerId} was never issued by this cluster; a producer gets its id from InitProducerId.");
                    anyError = true;
                    continue;
                }
                PartitionAppendOutcome outcome = Append(partition, data.Records, version, now);
                if (outcome.Error != ErrorCode.None)
                {
                    SetError(partitionResponse, IfStillLeading(outcome.Error), outcome.ErrorMessage);
                    if (outcome.RecordErrors is { } recordErrors)
                    {
                        foreach (RecordError error in recordErrors)
                            partitionResponse.RecordErrors.Add(new BatchIndexAndErrorMessage { BatchIndex = error.BatchIndex, BatchIndexErrorMessage = error.Message });
                    }
                    if (outcome.Error == ErrorCode.NotLeaderOrFollower && version >= FirstCurrentLeaderVersion)
                        AddCurrentLeader(response, partitionResponse, partition);
                    anyError = true;
                    continue;
                }
                partitionResponse.BaseOffset = outcome.BaseOffset;
                partitionResponse.LogAppendTimeMs = outcome.LogAppendTime;
                partitionResponse.LogStartOffset = outcome.LogStartOffset;
                if (acks == -1)
                    (pending ??= []).Add(new PendingAck(partition, outcome.LastOffset + 1, outcome.LeaderEpoch, partitionResponse));
            }
        }
        if (anyError)
            LogErrors(context, response);
        if (acks == 0)
            return null;
        if (pending is not null)
            await WaitForReplicationAsync(pending, request.TimeoutMs, cancellationToken).ConfigureAwait(false);
        return response;
    }

    /// <summary>The producer id in the header of the first batch of <paramref name="records"/> (idempotent batches come alone), or −1.</summary>
    private static long ProducerIdOf(ReadOnlyMemory<byte>? records)
    {
        if (records is not { } memory || memory.Length < RecordBatchHeader.Size)
            return RecordBatchHeader.NoProducerId;
        ReadOnlySpan<byte> header = memory.Span;
        if (header[RecordBatchHeader.MagicOffset] != RecordBatchHeader.CurrentMagic)
            return RecordBatchHeader.NoProducerId;
        return System.Buffers.Binary.BinaryPrimitives.ReadInt64BigEndian(header[RecordBatchHeader.ProducerIdOffset..]);
    }

    /// <summary>
    /// Whether a batch naming <paramref name="producerId"/>, which the image does not know yet, is refused as unissued:
    /// only a batch that is otherwise valid (a corrupt one gets its own error from the append, as the id in it means
    /// nothing), and only once the image has had <see cref="IssuedProducerIds.CatchUpWait"/> to learn of a fresh block.
    /// </summary>
    private async ValueTask<bool> IsUnissuedAsync(HostedPartition partition, ReadOnlyMemory<byte> records, long producerId, short version, long now,
        CancellationToken cancellationToken)
    {
        if (ProducedBatchChecks.Check(records.Span, partition.Settings, version, now).Error != ErrorCode.None)
            return false;
        return !await issuedIds.IsIssuedAsync(producerId, cancellationToken).ConfigureAwait(false);
    }

    private static PartitionAppendOutcome Append(HostedPartition partition, ReadOnlyMemory<byte>? records, short version, long now)
    {
        if (records is not { } memory)
            return PartitionAppendOutcome.Failed(ErrorCode.InvalidRecord, "The partition's records are null.");
        // The frame belongs to this request until its response is written, so the log may rewrite headers in place.
        Span<byte> writable = MemoryMarshal.AsMemory(memory).Span;
        if (version < FirstV2BatchVersion && writable.Length > RecordBatchHeader.MagicOffset && writable[RecordBatchHeader.MagicOffset] < RecordBatchHeader.CurrentMagic)
            return AppendLegacy(partition, writable, version, now);
        return partition.AppendAsLeader(writable, version, now);
    }

    /// <summary>Converts a v0/v1 message set into one v2 batch (keeping its codec) and appends that.</summary>
    private static PartitionAppendOutcome AppendLegacy(HostedPartition partition, ReadOnlySpan<byte> messageSet, short version, long now)
    {
        RecordBatchValidationOptions options = partition.Settings.ProduceValidation;
        using var builder = new RecordBatchBuilder(Math.Min(messageSet.Length * 2, options.MaxBatchBytes) + RecordBatchHeader.Size);
        RecordBatchValidationResult converted = LegacyMessageSet.TryConvert(messageSet, builder, options, out LegacyConversionInfo info);
        if (!converted.IsValid)
        {
            ProducedBatchesCheck failed = ProducedBatchChecks.FromValidation(converted, 0);
            return PartitionAppendOutcome.Failed(failed.Error, failed.Message, failed.RecordErrors);
        }
        builder.Compression = info.SourceCompression;
        ReadOnlyMemory<byte> batch;
        try
        {
            batch = builder.Build();
        }
        catch (DllNotFoundException error)
        {
            return PartitionAppendOutcome.Failed(ErrorCode.UnsupportedCompressionType, error.Message);
        }
        return partition.AppendAsLeader(MemoryMarshal.AsMemory(batch).Span, version, now);
    }

    /// <summary>
    /// acks=-1: each partition's response stands once its high watermark passes the append while this broker still leads;
    /// else NOT_LEADER_OR_FOLLOWER (leadership lost first), NOT_ENOUGH_REPLICAS_AFTER_APPEND (the ISR fell below
    /// min.insync.replicas) or REQUEST_TIMED_OUT.
    /// </summary>
    private async Task WaitForReplicationAsync(List<PendingAck> pending, int timeoutMs, CancellationToken cancellationToken)
    {
        TimeSpan timeout = TimeSpan.FromMilliseconds(Math.Max(0, timeoutMs));
        var waits = new Task<ErrorCode>[pending.Count];
        for (int index = 0; index < pending.Count; index++)
        {
            PendingAck ack = pending[index];
            waits[index] = ack.Partition.WaitForReplicationAsync(ack.RequiredHighWatermark, ack.LeaderEpoch, timeout, replicas.Time, cancellationToken);
        }
        await Task.WhenAll(waits).ConfigureAwait(false);
        for (int index = 0; index < pending.Count; index++)
        {
            ErrorCode error = waits[index].Result;
            if (error == ErrorCode.None)
                continue;
            PartitionProduceResponse response = pending[index].Response;
            string message = error switch
            {
                ErrorCode.RequestTimedOut => $"The in-sync replicas did not reach offset {pending[index].RequiredHighWatermark} within {timeoutMs} ms.",
                ErrorCode.NotEnoughReplicasAfterAppend => $"Written, but the in-sync replicas fell below min.insync.replicas ({pending[index].Partition.Settings.MinInsyncReplicas}).",
                _ => "This broker stopped leading the partition before the in-sync replicas had the records.",
            };
            SetError(response, error, message);
        }
    }

    private void AddCurrentLeader(ProduceResponse response, PartitionProduceResponse partitionResponse, HostedPartition partition)
    {
        if (partition.State is not { } state)
            return;
        partitionResponse.CurrentLeader = new LeaderIdAndEpoch { LeaderId = state.Leader, LeaderEpoch = state.LeaderEpoch };
        MetadataImage image = replicas.Metadata.Current;
        if (state.Leader >= 0 && image.Brokers.TryGetValue(state.Leader, out BrokerRegistration? leader)
            && !response.NodeEndpoints.Exists(endpoint => endpoint.NodeId == leader.NodeId))
        {
            response.NodeEndpoints.Add(new NodeEndpoint { NodeId = leader.NodeId, Host = leader.Host, Port = leader.Port, Rack = leader.Rack });
        }
    }

    private static void SetError(PartitionProduceResponse response, ErrorCode error, string? message)
    {
        response.ErrorCode = (short)error;
        response.ErrorMessage = message;
        response.BaseOffset = -1;
        response.LogAppendTimeMs = -1;
        response.LogStartOffset = -1;
    }

    private void LogErrors(RequestContext context, ProduceResponse response)
    {
        foreach (TopicProduceResponse topic in response.Responses)
        {
            foreach (PartitionProduceResponse partition in topic.PartitionResponses)
            {
                if (IsProducerStateRefusal((ErrorCode)partition.ErrorCode) && _producerStateLog.TryTake(replicas.NowMs, out int suppressed))
                {
                    // Rare with a well-behaved producer and the first sign of lost or diverged producer state after a
                    // failover, so it is worth an operator's eye; a client repeating one could flood, hence the limit.
                    logger.LogInformation("Produce v{Version} from {Peer} ({Client}) to {Topic}-{Partition} refused: {Error} {Message} ({Suppressed} such lines suppressed before)",
                        context.ApiVersion, context.Peer, context.ClientId, topic.Name, partition.Index, (ErrorCode)partition.ErrorCode,
                        partition.ErrorMessage, suppressed);
                }
                else if (partition.ErrorCode != 0 && logger.IsEnabled(LogLevel.Debug))
                {
                    logger.LogDebug("Produce v{Version} from {Peer} ({Client}) to {Topic}-{Partition}: {Error} {Message}", context.ApiVersion,
                        context.Peer, context.ClientId, topic.Name, partition.Index, (ErrorCode)partition.ErrorCode, partition.ErrorMessage);
                }
            }
        }
    }

    /// <summary>
    /// A sequence or producer-id refusal is fatal to a producer; from a broker that may have been deposed without knowing
    /// (<see cref="BrokerSessionLease"/>) it becomes NOT_LEADER_OR_FOLLOWER, which sends the producer to refresh its metadata.
    /// </summary>
    private ErrorCode IfStillLeading(ErrorCode error) =>
        error is ErrorCode.OutOfOrderSequenceNumber or ErrorCode.UnknownProducerId && replicas.SessionLease.MayHaveLapsed
            ? ErrorCode.NotLeaderOrFollower
            : error;

    private static bool IsProducerStateRefusal(ErrorCode error) =>
        error is ErrorCode.OutOfOrderSequenceNumber or ErrorCode.InvalidProducerEpoch or ErrorCode.UnknownProducerId;

    private readonly LogLineBudget _producerStateLog = new(linesPerSecond: 10);

    private readonly record struct PendingAck(HostedPartition Partition, long RequiredHighWatermark, int LeaderEpoch, PartitionProduceResponse Response);
}
