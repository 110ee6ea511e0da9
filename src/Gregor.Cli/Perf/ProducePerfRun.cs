using System.Diagnostics;
using Gregor.Client;

namespace Gregor.Cli.Perf;

/// <summary>
/// One <c>gregor perf produce</c> run: keyless records of one payload, sent as fast as allowed (or at a target
/// rate) for a number of records or a time, each timed from the send call to its acknowledgement. The loop adds
/// nothing per record of its own: a message is reused once its delivery is reported, and one handler serves every
/// record, so what the process allocates per record is the client's doing.
/// </summary>
internal sealed class ProducePerfRun
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly Action<DeliveryReport<byte[], byte[]>> _onDelivery;
    private readonly Stack<TimedMessage> _free = new();
    private readonly double _microsPerTick = 1_000_000.0 / Stopwatch.Frequency;
    private long _sent;
    private long _failed;
    private string? _firstError;

    public ProducePerfRun(IProducer<byte[], byte[]> producer)
    {
        _producer = producer;
        _onDelivery = OnDelivery;
    }

    /// <summary>Send-to-acknowledgement latency of every acknowledged record, in microseconds.</summary>
    public LatencyHistogram Latency { get; } = new();

    public long Sent => Volatile.Read(ref _sent);

    public long Acknowledged => Latency.TotalCount;

    public long Failed => Volatile.Read(ref _failed);

    public string? FirstError => Volatile.Read(ref _firstError);

    /// <summary>
    /// Sends <paramref name="count"/> records, or for <paramref name="duration"/>, then flushes; returns the time from the
    /// first send until every record was acknowledged or failed.
    /// </summary>
    public TimeSpan Run(string topic, byte[] payload, long? count, TimeSpan? duration, long throughput, CancellationToken cancellationToken)
    {
        using var timeUp = new CancellationTokenSource();
        long limit = count ?? long.MaxValue;
        long start = Stopwatch.GetTimestamp();
        var throttle = throughput > 0 ? new Throttle(throughput, start) : null;
        if (duration is { } d) timeUp.CancelAfter(d);
        for (long i = 0; i < limit && !cancellationToken.IsCancellationRequested; i++)
        {
            // The timer is only a cheap flag, and may fire a little early; the clock decides once it has.
            if (timeUp.IsCancellationRequested && Stopwatch.GetElapsedTime(start) >= duration) break;
            var message = Rent(payload);
            long now = Stopwatch.GetTimestamp();
            message.SentAt = now;
            _producer.Produce(topic, message, _onDelivery);
            Volatile.Write(ref _sent, i + 1);
            if (throttle?.DelayFor(i + 1, now) is { } wait && wait > TimeSpan.Zero) Thread.Sleep(wait);
        }
        _producer.Flush(cancellationToken);
        return Stopwatch.GetElapsedTime(start);
    }

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        var message = (TimedMessage)report.Message;
        if (!report.Error.IsError) Latency.Record((long)((Stopwatch.GetTimestamp() - message.SentAt) * _microsPerTick));
        else if (Interlocked.Increment(ref _failed) == 1) Volatile.Write(ref _firstError, report.Error.Reason);
        Return(message);
    }

    private TimedMessage Rent(byte[] payload)
    {
        lock (_free)
        {
            if (_free.TryPop(out var reused))
            {
                reused.Timestamp = default; // the producer wrote the last send's timestamp into it
                return reused;
            }
        }
        return new TimedMessage { Key = null!, Value = payload };
    }

    private void Return(TimedMessage message)
    {
        lock (_free) _free.Push(message);
    }

    /// <summary>A record and when it was handed to the producer (a <see cref="Stopwatch"/> timestamp).</summary>
    private sealed class TimedMessage : Message<byte[], byte[]>
    {
        public long SentAt { get; set; }
    }
}
