using System.Buffers.Binary;
using Gregor.Protocol;
using Gregor.Protocol.Records;

namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// The producers: each writes unique values in single-record batches with acks=all to the leader the controller's
/// metadata names, retrying on errors and timeouts until acknowledged — the same batch (producer id and sequence) when
/// idempotent, so the log must hold it once.
/// </summary>
internal sealed partial class ReplicationSimulation
{
    private void ProducerStep(SimProducer p)
    {
        if (p.Unacknowledged.FirstOrDefault(x => x.RequestId >= 0 && Now - x.SentMs >= ClientRequestTimeoutMs) is { } timedOut)
        {
            // No answer in request.timeout.ms: the client closes the connection; every batch in flight may or may not be
            // in the log, and all go again, in order, on a new one.
            if (_options.Verbose) Trace($"producer {p.Endpoint}: no answer for value {timedOut.Value}");
            p.Connection = -1;
            Rewind(p, p.Unacknowledged.First(x => x.RequestId >= 0));
        }
        if (_producing && p.Unacknowledged.Count < p.MaxInFlight)
        {
            if (p.Idempotent && p.ProducerId < 0)
            {
                p.ProducerId = _nextProducerId++;
                p.NextSequence = 0;
                p.AcknowledgedUnderId = false;
            }
            long value = _nextValue++;
            var batch = new OutgoingBatch(value, p.NextSequence, BuildBatch(p, value));
            if (p.Idempotent)
            {
                p.NextSequence++;
                _idempotentValues.Add(value);
            }
            p.Unacknowledged.Add(batch);
            _valueSentBy[value] = p.Endpoint;
            Stats.Proposed++;
        }
        if (Now < p.NextSendMs) return;
        int leader = _publisher.Current.Topic(Topic)?.Partitions[0].Leader ?? -1;
        if (leader < 0)
        {
            p.NextSendMs = Now + 50;
            return;
        }
        if (leader != p.ConnectedTo || p.Connection < 0 || _brokenConnections.Contains(p.Connection) && p.Unacknowledged.All(x => x.RequestId < 0))
        {
            // A new connection (to a new leader, or after the last one broke): nothing in flight on the old one counts.
            if (p.Unacknowledged.FirstOrDefault(x => x.RequestId >= 0) is { } inFlight && leader != p.ConnectedTo)
                Rewind(p, inFlight);
            p.Connection = _nextRequestId++;
            p.ConnectedTo = leader;
        }
        // In order, on one connection, as the client keeps it: a batch goes only after every earlier one.
        bool oneAtATime = _options.FirstBatchAlone && p.Idempotent && !p.AcknowledgedUnderId;
        foreach (OutgoingBatch batch in p.Unacknowledged)
        {
            if (batch.RequestId >= 0) continue;
            if (oneAtATime && p.Unacknowledged.Any(x => x.RequestId >= 0)) break;
            batch.RequestId = _nextRequestId++;
            batch.SentMs = Now;
            Send(new Produce(p.Endpoint, leader, batch.RequestId, batch.Bytes, p.Connection));
        }
    }

    /// <summary>The batch and every later one are sent again (their answers in flight no longer count).</summary>
    private void Rewind(SimProducer p, OutgoingBatch from)
    {
        int index = p.Unacknowledged.IndexOf(from);
        for (int i = index; i < p.Unacknowledged.Count; i++)
            p.Unacknowledged[i].RequestId = -1;
        p.NextSendMs = Now + 20 + _random.Next(80);
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
        OutgoingBatch? batch = p.Unacknowledged.FirstOrDefault(x => x.RequestId == answer.Id);
        if (batch is null) return;
        batch.RequestId = -1;
        if (answer.Error == ErrorCode.None)
        {
            p.AcknowledgedUnderId = true;
            Acknowledge(p, batch.Value, answer.BaseOffset, answer.From);
            p.Unacknowledged.Remove(batch);
            return;
        }
        Stats.ProduceErrors++;
        // The leader has no state for the producer: it takes any sequence again, so the first-batch rule starts over.
        if (answer.Error == ErrorCode.UnknownProducerId) p.AcknowledgedUnderId = false;
        if (_options.Verbose) Trace($"producer {p.Endpoint}: {answer.Error} from broker {answer.From} for value {batch.Value} (sequence {batch.Sequence})");
        if (p.Idempotent && answer.Error is ErrorCode.OutOfOrderSequenceNumber or ErrorCode.UnknownProducerId or ErrorCode.InvalidProducerEpoch
            && p.Unacknowledged[0] == batch)
        {
            // Every earlier batch of this producer was acknowledged, so committed, so in this leader's log. The refusal is
            // Kafka's own behaviour only when a later batch of the producer landed first on a leader that had no state for
            // it (Kafka accepts any sequence then); otherwise the leader's producer state is wrong.
            Stats.FatalProducerErrors++;
            SimBroker leader = Broker(answer.From);
            var entries = leader.Partition is { } hp
                ? hp.Log.WithProducerState(m => m.TryGet(p.ProducerId, out var entry)
                    ? Enumerable.Range(0, entry.BatchCount).Select(i => entry.Batch(i)).ToList()
                    : [])
                : [];
            string state = string.Join(" ", entries.Select(x => $"{x.FirstSequence}-{x.LastSequence}@{x.FirstOffset}"));
            Trace($"broker {answer.From} refuses producer {p.Endpoint} (id {p.ProducerId}) sequence {batch.Sequence} with {answer.Error}; its state: {state}; unacknowledged: {string.Join(" ", p.Unacknowledged.Select(x => $"{x.Value}/seq {x.Sequence}"))}");
            if (!entries.Any(x => x.FirstSequence > batch.Sequence))
            {
                throw Violation($"broker {answer.From} answered {answer.Error} to producer {p.Endpoint} (id {p.ProducerId}) for sequence {batch.Sequence}, "
                    + "its oldest unacknowledged batch, every earlier one having been acknowledged and no later one in the leader's state");
            }
            // Fatal to the producer session, as to Kafka's: its unacknowledged values are given up (each may be in the
            // log, once) and it starts over with a new producer id.
            p.Unacknowledged.Clear();
            p.ProducerId = -1;
            p.Connection = -1;
            return;
        }
        // Retriable (an out-of-order sequence behind a batch that failed first is too): from this batch on, again.
        Rewind(p, batch);
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
