using System.Buffers.Binary;
using Gregor.Protocol;
using Gregor.Protocol.Records;

namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// The producers: each writes unique values, one single-record batch at a time with acks=all, to the leader the
/// controller's metadata names, retrying on errors and timeouts until acknowledged — the same batch (producer id and
/// sequence) when idempotent, so the log must hold it once.
/// </summary>
internal sealed partial class ReplicationSimulation
{
    private void ProducerStep(SimProducer p)
    {
        if (p.RequestId >= 0)
        {
            if (Now - p.SentMs < ClientRequestTimeoutMs) return;
            // No answer in request.timeout.ms: the client gives up on this attempt and retries.
            if (_options.Verbose) Trace($"producer {p.Endpoint}: no answer for value {p.Value}");
            p.RequestId = -1;
            p.NextSendMs = Now + 20 + _random.Next(80);
        }
        if (p.Value == 0)
        {
            if (!_producing) return;
            p.Value = _nextValue++;
            p.Attempts = 0;
            if (p.Idempotent && p.ProducerId < 0)
            {
                p.ProducerId = _nextProducerId++;
                p.NextSequence = 0;
            }
            p.Batch = BuildBatch(p, p.Value);
            if (p.Idempotent) _idempotentValues.Add(p.Value);
            _valueSentBy[p.Value] = p.Endpoint;
            Stats.Proposed++;
        }
        if (Now < p.NextSendMs) return;
        int leader = _publisher.Current.Topic(Topic)?.Partitions[0].Leader ?? -1;
        if (leader < 0)
        {
            p.NextSendMs = Now + 50;
            return;
        }
        p.RequestId = _nextRequestId++;
        p.SentMs = Now;
        p.Attempts++;
        Send(new Produce(p.Endpoint, leader, p.RequestId, p.Batch!));
    }

    private byte[] BuildBatch(SimProducer p, long value)
    {
        using var builder = new RecordBatchBuilder(128);
        if (p.Idempotent)
        {
            builder.ProducerId = p.ProducerId;
            builder.ProducerEpoch = 0;
            builder.BaseSequence = p.NextSequence;
        }
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, value);
        builder.Append(_clock.UnixMs, NullableBytes.Null, bytes);
        return builder.Build().ToArray();
    }

    /// <summary>The value a single-record batch carries: its record's last bytes are the 8-byte value, then an empty header count.</summary>
    private static long BatchValue(ReadOnlySpan<byte> batch)
    {
        int size = RecordBatchHeader.TotalSize(batch);
        return RecordBatchHeader.RecordsCount(batch) == 1 ? BinaryPrimitives.ReadInt64BigEndian(batch[(size - 9)..]) : -1;
    }

    private void ProducerReceive(SimProducer p, ProduceAnswer answer)
    {
        if (answer.Id != p.RequestId) return;
        p.RequestId = -1;
        if (answer.Error == ErrorCode.None)
        {
            Acknowledge(p, p.Value, answer.BaseOffset, answer.From);
            p.Value = 0;
            p.Batch = null;
            if (p.Idempotent) p.NextSequence++;
            return;
        }
        Stats.ProduceErrors++;
        if (_options.Verbose) Trace($"producer {p.Endpoint}: {answer.Error} from broker {answer.From} for value {p.Value}");
        if (p.Idempotent && answer.Error is ErrorCode.OutOfOrderSequenceNumber or ErrorCode.UnknownProducerId or ErrorCode.InvalidProducerEpoch)
        {
            // Fatal to this producer session: the value is given up (it may still be in the log, once) and a new id taken.
            Stats.FatalProducerErrors++;
            Trace($"producer {p.Endpoint} (id {p.ProducerId}, sequence {p.NextSequence}) gets {answer.Error} from broker {answer.From} for value {p.Value}; starts over with a new producer id");
            p.ProducerId = -1;
            p.Value = 0;
            p.Batch = null;
            return;
        }
        p.NextSendMs = Now + 20 + _random.Next(80);
    }

    /// <summary>An acks=all success reached the client: the value must be committed at that offset (invariant 1, continuously).</summary>
    private void Acknowledge(SimProducer p, long value, long offset, int leader)
    {
        if (!_committed.TryGetValue(offset, out CommittedBatch batch) || batch.Value != value)
            throw Violation($"broker {leader} acknowledged value {value} at offset {offset} to producer {p.Endpoint}, but committed there is {(_committed.ContainsKey(offset) ? $"value {batch.Value}" : "nothing")}");
        if (_acknowledged.TryGetValue(value, out long before) && before != offset)
            throw Violation($"value {value} acknowledged at offsets {before} and {offset}");
        if (_acknowledged.TryAdd(value, offset))
        {
            Stats.Acknowledged++;
            if (p.Idempotent) Stats.IdempotentAcknowledged++;
            if (_healed) Stats.AcknowledgedAfterHeal++;
        }
    }
}
