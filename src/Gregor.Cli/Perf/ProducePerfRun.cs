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
    private readonly TimedMessagePool _messages = new();
    private readonly double _microsPerTick = 1_000_000.0 / Stopwatch.Frequency;
    private long _sent;
    private long _failed;
    private long _warmupAcknowledged;
    private string? _firstError;

    public ProducePerfRun(IProducer<byte[], byte[]> producer)
    {
        _producer = producer;
        _onDelivery = OnDelivery;
    }

    /// <summary>Send-to-acknowledgement latency of every acknowledged record after the warm-up, in microseconds.</summary>
    public LatencyHistogram Latency { get; } = new();

    public long Sent => Volatile.Read(ref _sent);

    public long Acknowledged => Latency.TotalCount + Volatile.Read(ref _warmupAcknowledged);

    public long Failed => Volatile.Read(ref _failed);

    public string? FirstError => Volatile.Read(ref _firstError);

    /// <summary>
    /// Sends <paramref name="count"/> records, or for <paramref name="duration"/>, then flushes; returns the time from the
    /// first send until every record was acknowledged or failed. The first <paramref name="warmup"/> records are not timed.
    /// </summary>
    public TimeSpan Run(string topic, byte[] payload, long? count, TimeSpan? duration, long throughput, long warmup, CancellationToken cancellationToken)
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
            var message = _messages.Rent(payload);
            long now = Stopwatch.GetTimestamp();
            message.SentAt = now;
            message.Warmup = i < warmup;
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
        if (!report.Error.IsError)
        {
            long acknowledgedAt = AcknowledgedAt(report);
            if (message.Warmup) Interlocked.Increment(ref _warmupAcknowledged);
            else Latency.Record((long)((acknowledgedAt - message.SentAt) * _microsPerTick));
        }
        else if (Interlocked.Increment(ref _failed) == 1) Volatile.Write(ref _firstError, report.Error.Reason);
        _messages.Return(message);
    }

    /// <summary>
    /// When the record's acknowledgement arrived. One response acknowledges a whole batch, whose reports then come
    /// one after another on one thread with consecutive offsets of one partition; the clock is read at the first
    /// report of each such run, and again every <see cref="ClockReadEvery"/> reports, so a latency is off by at most
    /// the time a few dozen callbacks take (microseconds), and the clock is not read for every record.
    /// </summary>
    private long AcknowledgedAt(DeliveryReport<byte[], byte[]> report)
    {
        var last = t_lastAcknowledgement ??= new LastAcknowledgement();
        long offset = report.Offset.Value;
        int partition = report.Partition.Value;
        if (offset < 0 || !ReferenceEquals(last.Run, this) || last.Partition != partition || last.NextOffset != offset || ++last.Reused >= ClockReadEvery)
        {
            last.Run = this;
            last.Partition = partition;
            last.Timestamp = Stopwatch.GetTimestamp();
            last.Reused = 0;
        }
        last.NextOffset = offset + 1;
        return last.Timestamp;
    }

    private const int ClockReadEvery = 64;

    [ThreadStatic]
    private static LastAcknowledgement? t_lastAcknowledgement;

    /// <summary>The last report on a thread: whose it was, where, and the clock reading it used.</summary>
    private sealed class LastAcknowledgement
    {
        public ProducePerfRun? Run { get; set; }

        public int Partition { get; set; }

        public long NextOffset { get; set; } = -1;

        public long Timestamp { get; set; }

        public int Reused { get; set; }
    }
}
