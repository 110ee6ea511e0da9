using Gregor.Client.Producer;
using Gregor.Client.Tests.Network;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Producer;

/// <summary>
/// The producer's idempotence against a scripted broker: it gets a producer id first, numbers each partition's batches,
/// resends a batch unchanged, takes DUPLICATE_SEQUENCE_NUMBER as success, and after OUT_OF_ORDER_SEQUENCE_NUMBER or
/// UNKNOWN_PRODUCER_ID bumps its epoch and numbers again from 0 (KIP-360) where the Java client does, and only there.
/// </summary>
public sealed class IdempotentProducerTests : IAsyncDisposable
{
    private const string Topic = "t";
    private readonly object _lock = new();
    private readonly ScriptedBroker _broker;
    private readonly Queue<WireErrorCode> _initAnswers = new();
    private readonly Queue<WireErrorCode> _produceAnswers = new();
    private readonly Queue<long> _logStartOffsets = new();
    private long _nextOffset;

    public IdempotentProducerTests() => _broker = new ScriptedBroker(Answer);

    /// <summary>Every batch the broker received: producer id, epoch, base sequence, record count, and the answer given.</summary>
    private List<(long ProducerId, short Epoch, int Sequence, int Count, WireErrorCode Answer)> Batches { get; } = [];

    private int InitRequests { get; set; }

    private bool SupportsInitProducerId { get; set; } = true;

    private byte[]? Answer(short key, short version, int correlationId, byte[] frame)
    {
        var reader = new ProtocolReader(frame);
        RequestFraming.ReadHeader(ref reader, frame);
        lock (_lock)
        {
            switch ((ApiKey)key)
            {
                case ApiKey.ApiVersions:
                    var apis = new List<ApiVersionsResponse.ApiVersion> { Api(ApiKey.ApiVersions, 0, 3), Api(ApiKey.Metadata, 1, 12), Api(ApiKey.Produce, 3, 9) };
                    if (SupportsInitProducerId) apis.Add(Api(ApiKey.InitProducerId, 0, 4));
                    return Respond(key, version, correlationId, new ApiVersionsResponse { ApiKeys = apis });
                case ApiKey.Metadata:
                    return Respond(key, version, correlationId, new MetadataResponse
                    {
                        ClusterId = "scripted",
                        ControllerId = 0,
                        Brokers = [new MetadataResponse.MetadataResponseBroker { NodeId = 0, Host = "127.0.0.1", Port = _broker.Port }],
                        Topics = [new MetadataResponse.MetadataResponseTopic
                        {
                            Name = Topic,
                            Partitions = [new MetadataResponse.MetadataResponsePartition { PartitionIndex = 0, LeaderId = 0, LeaderEpoch = 1, ReplicaNodes = [0], IsrNodes = [0] }],
                        }],
                    });
                case ApiKey.InitProducerId:
                    var init = InitProducerIdRequest.Read(ref reader, version);
                    Assert.Null(init.TransactionalId);
                    InitRequests++;
                    var initError = _initAnswers.Count > 0 ? _initAnswers.Dequeue() : WireErrorCode.None;
                    return Respond(key, version, correlationId, initError == WireErrorCode.None
                        ? new InitProducerIdResponse { ProducerId = 77 + InitRequests * 1000, ProducerEpoch = 0 }
                        : new InitProducerIdResponse { ErrorCode = (short)initError, ProducerId = -1, ProducerEpoch = -1 });
                case ApiKey.Produce:
                    var produce = ProduceRequest.Read(ref reader, version);
                    var data = produce.TopicData.Single().PartitionData.Single();
                    ReadOnlySpan<byte> batch = data.Records!.Value.Span;
                    Assert.Equal(RecordBatchHeader.ComputeCrc(batch), System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(batch[RecordBatchHeader.CrcOffset..]));
                    var answer = _produceAnswers.Count > 0 ? _produceAnswers.Dequeue() : WireErrorCode.None;
                    int count = RecordBatchHeader.RecordsCount(batch);
                    Batches.Add((RecordBatchHeader.ProducerId(batch), RecordBatchHeader.ProducerEpoch(batch), RecordBatchHeader.BaseSequence(batch), count, answer));
                    long offset = -1;
                    if (answer == WireErrorCode.None)
                    {
                        offset = _nextOffset;
                        _nextOffset += count;
                    }
                    return Respond(key, version, correlationId, new ProduceResponse
                    {
                        Responses = [new ProduceResponse.TopicProduceResponse
                        {
                            Name = Topic,
                            PartitionResponses = [new ProduceResponse.PartitionProduceResponse { Index = 0, ErrorCode = (short)answer, BaseOffset = offset, LogAppendTimeMs = -1, LogStartOffset = _logStartOffsets.Count > 0 ? _logStartOffsets.Dequeue() : 0 }],
                        }],
                    });
                default:
                    return null;
            }
        }
    }

    private static ApiVersionsResponse.ApiVersion Api(ApiKey key, short min, short max) => new() { ApiKey = (short)key, MinVersion = min, MaxVersion = max };

    private static byte[] Respond<T>(short key, short version, int correlationId, T response) where T : IProtocolMessage<T>
    {
        byte[] body = new byte[((IProtocolStruct)response).Size(version)];
        var writer = new ProtocolWriter(body);
        response.Write(ref writer, version);
        return ScriptedBroker.Frame(correlationId, RequestFraming.ResponseHeaderVersion(key, version) >= 1 ? [0, .. body] : body);
    }

    private IProducer<string, string> Producer(params (string Key, string Value)[] settings)
    {
        var config = new ProducerConfig { BootstrapServers = "127.0.0.1:" + _broker.Port, LingerMs = 0, RetryBackoffMs = 10, DeliveryTimeoutMs = 20_000, RequestTimeoutMs = 10_000 };
        foreach (var (key, value) in settings) config.Set(key, value);
        return new ProducerBuilder<string, string>(config).Build();
    }

    private static Task<DeliveryResult<string, string>> Send(IProducer<string, string> producer, int i) =>
        producer.ProduceAsync(new TopicPartition(Topic, 0), new Message<string, string> { Key = "k", Value = "v" + i });

    [Fact]
    public async Task The_producer_asks_for_an_id_first_and_numbers_its_batches_in_order()
    {
        _initAnswers.Enqueue(WireErrorCode.CoordinatorLoadInProgress); // retriable: asked again
        using var producer = Producer();

        var offsets = new List<long>();
        for (int i = 0; i < 3; i++) offsets.Add((await Send(producer, i)).Offset.Value);

        Assert.Equal(2, InitRequests);
        Assert.Equal([0L, 1, 2], offsets);
        Assert.Equal([(2077L, (short)0, 0, 1), (2077L, (short)0, 1, 1), (2077L, (short)0, 2, 1)], Batches.Select(b => (b.ProducerId, b.Epoch, b.Sequence, b.Count)));
    }

    [Fact]
    public async Task A_retried_batch_goes_out_again_with_the_same_number()
    {
        _produceAnswers.Enqueue(WireErrorCode.NotLeaderOrFollower);
        using var producer = Producer();

        var result = await Send(producer, 0);
        await Send(producer, 1);

        Assert.Equal(0, result.Offset.Value);
        Assert.Equal([(0, 1077L, (short)0), (0, 1077L, (short)0), (1, 1077L, (short)0)], Batches.Select(b => (b.Sequence, b.ProducerId, b.Epoch)));
    }

    [Fact]
    public async Task A_duplicate_sequence_answer_is_a_success()
    {
        _produceAnswers.Enqueue(WireErrorCode.DuplicateSequenceNumber);
        using var producer = Producer();

        var result = await Send(producer, 0);

        Assert.Equal(PersistenceStatus.Persisted, result.Status);
        Assert.Single(Batches);
    }

    [Theory]
    [InlineData(WireErrorCode.OutOfOrderSequenceNumber)]
    [InlineData(WireErrorCode.UnknownProducerId)]
    public async Task Lost_producer_state_bumps_the_epoch_and_numbers_again_from_zero(WireErrorCode refusal)
    {
        using var producer = Producer();
        await Send(producer, 0);
        await Send(producer, 1);
        _produceAnswers.Enqueue(refusal);

        var third = await Send(producer, 2);
        await Send(producer, 3);

        Assert.Equal(PersistenceStatus.Persisted, third.Status);
        Assert.Equal([((short)0, 0), ((short)0, 1), ((short)0, 2), ((short)1, 0), ((short)1, 1)], Batches.Select(b => (b.Epoch, b.Sequence)));
        Assert.All(Batches, b => Assert.Equal(1077L, b.ProducerId));
        Assert.Equal(1, InitRequests); // the epoch is bumped here, as the Java client does for an idempotent producer
    }

    [Fact]
    public async Task Unknown_producer_id_without_a_log_start_offset_is_retried_unchanged()
    {
        using var producer = Producer();
        await Send(producer, 0);
        _produceAnswers.Enqueue(WireErrorCode.UnknownProducerId);
        _logStartOffsets.Enqueue(-1); // the broker could not say (the partition moved meanwhile): no loss is shown yet

        var second = await Send(producer, 1);

        Assert.Equal(PersistenceStatus.Persisted, second.Status);
        Assert.Equal([((short)0, 0), ((short)0, 1), ((short)0, 1)], Batches.Select(b => (b.Epoch, b.Sequence)));
    }

    [Theory]
    [InlineData(WireErrorCode.OutOfOrderSequenceNumber)]
    [InlineData(WireErrorCode.UnknownProducerId)]
    public async Task A_renumbered_batch_refused_again_is_resent_unchanged_without_another_bump(WireErrorCode refusal)
    {
        using var producer = Producer();
        await Send(producer, 0);
        _produceAnswers.Enqueue(refusal);
        _produceAnswers.Enqueue(refusal);

        var second = await Send(producer, 1);
        await Send(producer, 2);

        Assert.Equal(PersistenceStatus.Persisted, second.Status);
        Assert.Equal([((short)0, 0), ((short)0, 1), ((short)1, 0), ((short)1, 0), ((short)1, 1)], Batches.Select(b => (b.Epoch, b.Sequence)));
    }

    [Fact]
    public async Task A_batch_failed_for_good_starts_its_partition_again_under_a_new_epoch()
    {
        using var producer = Producer();
        await Send(producer, 0);
        _produceAnswers.Enqueue(WireErrorCode.InvalidRecord); // not retriable: the batch fails, its sequence 1 is never written

        var failure = await Assert.ThrowsAsync<ProduceException<string, string>>(() => Send(producer, 1));
        var third = await Send(producer, 2);

        Assert.Equal(WireErrorCode.InvalidRecord, (WireErrorCode)failure.Error.Code);
        Assert.Equal(PersistenceStatus.Persisted, third.Status);
        // The next batch does not follow the failed one's sequence (which the broker would refuse as a gap).
        Assert.Equal([((short)0, 0, WireErrorCode.None), ((short)0, 1, WireErrorCode.InvalidRecord), ((short)1, 0, WireErrorCode.None)],
            Batches.Select(b => (b.Epoch, b.Sequence, b.Answer)));
    }

    [Fact]
    public async Task A_batch_failed_for_good_with_unknown_producer_id_starts_again_at_zero_under_the_same_epoch()
    {
        using var producer = Producer(("retries", "1"));
        await Send(producer, 0);
        _produceAnswers.Enqueue(WireErrorCode.UnknownProducerId); // lost state: bumped to epoch 1 and renumbered
        _produceAnswers.Enqueue(WireErrorCode.UnknownProducerId); // again, and no attempt is left

        var failure = await Assert.ThrowsAsync<ProduceException<string, string>>(() => Send(producer, 1));
        await Send(producer, 2);

        Assert.Equal(WireErrorCode.UnknownProducerId, (WireErrorCode)failure.Error.Code);
        Assert.Equal([((short)0, 0), ((short)0, 1), ((short)1, 0), ((short)1, 0)], Batches.Select(b => (b.Epoch, b.Sequence)));
    }

    [Fact]
    public void Out_of_order_sequence_is_a_gap_only_for_the_batch_after_the_last_acknowledged_one()
    {
        using var accumulator = new RecordAccumulator(ProducerSettings.From(new ProducerConfig { BootstrapServers = "127.0.0.1:1" }), TimeProvider.System)
        {
            Identity = new ProducerIdentity(),
        };
        accumulator.Identity!.SetIdentity(5, 0);
        var queue = accumulator.Topic(Topic).Queue(0, _ => { });
        using var first = new ProducerBatch();
        using var second = new ProducerBatch();
        first.Start(queue, Gregor.Protocol.Compression.CompressionType.None, null, 0);
        second.Start(queue, Gregor.Protocol.Compression.CompressionType.None, null, 0);
        for (int i = 0; i < 3; i++) first.Append(0, default, default, [], default);
        second.Append(0, default, default, [], default);
        Assert.True(accumulator.Identity.TryNumber(queue, first)); // sequences 0..2
        Assert.Equal(SequenceRefusal.BumpEpochAndRenumber, ProducerIdentity.Judge(queue, first, WireErrorCode.OutOfOrderSequenceNumber, 0));

        ProducerIdentity.Acknowledged(queue, first);
        Assert.True(accumulator.Identity.TryNumber(queue, second)); // sequence 3, next after the last acknowledged (2)
        Assert.Equal(SequenceRefusal.BumpEpochAndRenumber, ProducerIdentity.Judge(queue, second, WireErrorCode.OutOfOrderSequenceNumber, 0));
        // Refused again after the broker acknowledged nothing new it stays the next one; with the last acknowledged
        // sequence elsewhere (as when answers cross) it is not, and is retried as it is.
        queue.LastAckedSequence = 0;
        Assert.Equal(SequenceRefusal.RetryUnchanged, ProducerIdentity.Judge(queue, second, WireErrorCode.OutOfOrderSequenceNumber, 0));
        Assert.Equal(SequenceRefusal.BumpEpochAndRenumber, ProducerIdentity.Judge(queue, second, WireErrorCode.UnknownProducerId, 0));
        Assert.Equal(SequenceRefusal.RetryUnchanged, ProducerIdentity.Judge(queue, second, WireErrorCode.UnknownProducerId, -1));
        Assert.Equal(SequenceRefusal.NotASequenceError, ProducerIdentity.Judge(queue, second, WireErrorCode.NotLeaderOrFollower, 0));
        // At or below the last acknowledged sequence it can never be written: failed, with the epoch bumped.
        queue.LastAckedSequence = 5;
        Assert.Equal(SequenceRefusal.FailAndBumpEpoch, ProducerIdentity.Judge(queue, second, WireErrorCode.OutOfOrderSequenceNumber, 0));
        queue.LastAckedSequence = 3;
        Assert.Equal(SequenceRefusal.FailAndBumpEpoch, ProducerIdentity.Judge(queue, second, WireErrorCode.OutOfOrderSequenceNumber, 0));
    }

    [Fact]
    public async Task A_broker_without_init_producer_id_fails_the_records_for_good()
    {
        SupportsInitProducerId = false;
        using var producer = Producer();

        var failure = await Assert.ThrowsAsync<ProduceException<string, string>>(() => Send(producer, 0));

        Assert.Equal(ErrorCode.Local_Fatal, failure.Error.Code);
        Assert.Contains("INIT_PRODUCER_ID", failure.Error.Reason);
        Assert.Empty(Batches);
    }

    [Fact]
    public async Task Without_idempotence_batches_carry_no_producer_id()
    {
        using var producer = Producer(("acks", "1"));

        await Send(producer, 0);

        Assert.Equal(0, InitRequests);
        Assert.Equal([(-1L, (short)-1, -1)], Batches.Select(b => (b.ProducerId, b.Epoch, b.Sequence)));
    }

    [Fact]
    public void The_config_reports_idempotence_as_the_producer_runs_it()
    {
        Assert.True(new ProducerConfig().EnableIdempotence);
        Assert.False(new ProducerConfig { Acks = Acks.Leader }.EnableIdempotence); // quietly off, as in the Java client
        Assert.False(new ProducerConfig { MaxInFlight = 6 }.EnableIdempotence);
        Assert.False(new ProducerConfig { Retries = 0 }.EnableIdempotence);
        Assert.False(new ProducerConfig { EnableIdempotence = false }.EnableIdempotence);
        var conflicting = new ProducerConfig { BootstrapServers = "127.0.0.1:" + _broker.Port, EnableIdempotence = true, Acks = Acks.Leader };
        Assert.True(conflicting.EnableIdempotence);
        Assert.Throws<ConfigException>(() => conflicting.Validate());
        Assert.ThrowsAny<Exception>(() => new ProducerBuilder<string, string>(conflicting).Build());
    }

    public async ValueTask DisposeAsync() => await _broker.DisposeAsync();
}
