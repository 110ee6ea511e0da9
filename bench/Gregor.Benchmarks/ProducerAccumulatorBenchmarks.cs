using BenchmarkDotNet.Attributes;
using Gregor.Client.Metadata;
using Gregor.Client.Producer;
using Gregor.Net;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Benchmarks;

/// <summary>
/// The producer's per-record path without the network: reserve buffer memory, append to the
/// partition's batch, drain the full batches as the sender does, build them (compressing), and
/// complete them, recycling batches. One operation is one record; the sender's socket I/O and the
/// ProduceAsync task are outside it.
/// </summary>
[MemoryDiagnoser]
[BenchmarkCategory("HotPath")]
public class ProducerAccumulatorBenchmarks : ProducerAccumulatorBenchmarkBase
{
    [Params("none", "snappy", "lz4", "zstd")]
    public override string Compression { get; set; } = "none";
}

/// <summary>
/// The same path with gzip, whose codec (System.IO.Compression) allocates per batch (not per
/// record), so it stays outside the zero-allocation gate; this shows what that amounts to per record.
/// </summary>
[MemoryDiagnoser]
public class ProducerAccumulatorGzipBenchmarks : ProducerAccumulatorBenchmarkBase
{
    [Params("gzip")]
    public override string Compression { get; set; } = "gzip";
}

public abstract class ProducerAccumulatorBenchmarkBase
{
    private const int RecordsPerInvoke = 2000;
    private const int Partitions = 4;

    private RecordAccumulator _accumulator = null!;
    private ProducerTopic _topic = null!;
    private ClusterMetadata _metadata = null!;
    private readonly Dictionary<int, List<ProducerBatch>> _ready = [];
    private readonly List<PartitionQueue> _expired = [];
    private static readonly DeliveryTarget Ignored = new(IgnoredDelivery.Instance, null);
    private readonly byte[] _key = new byte[16];
    private byte[] _value = [];
    private long _offset;

    public abstract string Compression { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var settings = ProducerSettings.From(new Dictionary<string, string>
        {
            ["bootstrap.servers"] = "127.0.0.1:9092",
            ["compression.type"] = Compression,
            ["batch.size"] = "16384",
            ["linger.ms"] = "1000",
        });
        _accumulator = new RecordAccumulator(settings, TimeProvider.System);
        _topic = _accumulator.Topic("bench");
        _value = Workload.Value(100);
        var partitions = Enumerable.Range(0, Partitions).Select(p => new PartitionMetadata(p, WireErrorCode.None, 1, 0, [1], [1], [])).ToArray();
        _metadata = new ClusterMetadata(new Dictionary<int, BrokerEndpoint> { [1] = new("127.0.0.1", 9092) },
            new Dictionary<string, TopicMetadata> { ["bench"] = new("bench", KafkaUuid.Zero, WireErrorCode.None, false, partitions) }, "c", 1, 1, DateTimeOffset.UtcNow);
        _ready[1] = [];
        AppendDrainComplete(); // warm the batch pool and codec contexts
    }

    [GlobalCleanup]
    public void Cleanup() => _accumulator.Dispose();

    [Benchmark(OperationsPerInvoke = RecordsPerInvoke)]
    public long AppendDrainComplete()
    {
        for (int i = 0; i < RecordsPerInvoke; i++)
        {
            int reserved = RecordAccumulator.EstimateSize(_key.Length, _value.Length, 0);
            if (!_accumulator.Budget.TryReserve(reserved)) throw new InvalidOperationException("buffer.memory exhausted: batches are not completing");
            _key[0] = (byte)i;
            bool full = _accumulator.Append(_topic, i % Partitions, 1_700_000_000_000 + i, _key, _value, default, Ignored, reserved);
            if (full && (i & 63) == 0) Drain(flush: false);
        }
        Drain(flush: true);
        return _offset;
    }

    private void Drain(bool flush)
    {
        if (flush) _accumulator.BeginFlush();
        _accumulator.Drain(_metadata, static _ => true, _ready, _expired, out _);
        if (flush) _accumulator.EndFlush();
        var batches = _ready[1];
        foreach (var batch in batches)
        {
            // As the sender does: marked done (freeing the partition), then the records completed in order.
            var queue = batch.Queue;
            RecordAccumulator.Complete(batch, new BatchOutcome(_offset, -1, WireErrorCode.None, null, null));
            _offset += batch.Count;
            _accumulator.FinishDone(queue);
        }
        batches.Clear();
    }
}
