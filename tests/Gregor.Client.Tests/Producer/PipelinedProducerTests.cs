using Gregor.Client.Tests.Network;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Producer;

/// <summary>
/// Several batches of one partition in flight at once (up to max.in.flight.requests.per.connection, as the Java
/// client), against a broker that checks sequences as Kafka's does (a producer it holds no state for may start at any
/// sequence, KIP-360) and can hold its answers back: the batches are pipelined, with max.in.flight=1 one at a time, an
/// idempotent producer's one at a time until a batch of the partition is acknowledged, and when the first of several
/// in-flight idempotent batches fails the partition is resent in sequence order, one batch at a time, with nothing
/// written twice or out of order.
/// </summary>
public sealed class PipelinedProducerTests : IAsyncDisposable
{
    private const string Topic = "t";
    private const long BaseTimestamp = 1_700_000_000_000;
    private readonly object _lock = new();
    private readonly ScriptedBroker _broker;
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<int, WireErrorCode> _errorsByArrival = [];
    private readonly HashSet<int> _lostAnswers = [];
    private readonly List<(short Epoch, int First, int Last)> _recentBatches = [];
    private int _forgetStateAtArrival;
    private int _holdUntil;
    private int _arrivals;
    private int _outstanding;
    private short _epoch = -1;
    private int _lastSequence = -1;
    private long _nextOffset;

    public PipelinedProducerTests() => _broker = new ScriptedBroker(AnswerAsync);

    /// <summary>Every produce request as it arrived: epoch, base sequence, the record it carries, how many were outstanding counting it, the answer.</summary>
    private List<(short Epoch, int Sequence, int Record, int Outstanding, WireErrorCode Answer)> Arrived { get; } = [];

    /// <summary>The partition's log: the record (by its timestamp) at each offset.</summary>
    private List<int> Log { get; } = [];

    private int MaxOutstanding
    {
        get { lock (_lock) return Arrived.Count == 0 ? 0 : Arrived.Max(a => a.Outstanding); }
    }

    private async Task<byte[]?> AnswerAsync(short key, short version, int correlationId, byte[] frame)
    {
        var reader = new ProtocolReader(frame);
        RequestFraming.ReadHeader(ref reader, frame);
        switch ((ApiKey)key)
        {
            case ApiKey.ApiVersions:
                return Respond(key, version, correlationId, new ApiVersionsResponse
                {
                    ApiKeys = [Api(ApiKey.ApiVersions, 0, 3), Api(ApiKey.Metadata, 1, 12), Api(ApiKey.Produce, 3, 9), Api(ApiKey.InitProducerId, 0, 4)],
                });
            case ApiKey.Metadata:
                return Respond(key, version, correlationId, new MetadataResponse
                {
                    ClusterId = "pipelined",
                    ControllerId = 0,
                    Brokers = [new MetadataResponse.MetadataResponseBroker { NodeId = 0, Host = "127.0.0.1", Port = _broker.Port }],
                    Topics = [new MetadataResponse.MetadataResponseTopic
                    {
                        Name = Topic,
                        Partitions = [new MetadataResponse.MetadataResponsePartition { PartitionIndex = 0, LeaderId = 0, LeaderEpoch = 1, ReplicaNodes = [0], IsrNodes = [0] }],
                    }],
                });
            case ApiKey.InitProducerId:
                return Respond(key, version, correlationId, new InitProducerIdResponse { ProducerId = 42, ProducerEpoch = 0 });
            case ApiKey.Produce:
                var produce = ProduceRequest.Read(ref reader, version);
                byte[] answer;
                Task held;
                lock (_lock)
                {
                    answer = Append(key, version, correlationId, produce.TopicData.Single().PartitionData.Single().Records!.Value.Span);
                    held = Arrived.Count <= _holdUntil ? _release.Task : Task.CompletedTask;
                    if (Arrived.Count == _holdUntil) _release.TrySetResult();
                }
                // Held until the expected number of requests is outstanding; a client that never gets there is seen by the test.
                await Task.WhenAny(held, Task.Delay(TimeSpan.FromSeconds(3)));
                lock (_lock) _outstanding--;
                return answer;
            default:
                return null;
        }
    }

    /// <summary>Appends the batch as a broker checking an idempotent producer's sequences would, or refuses it; the answer.</summary>
    private byte[] Append(short key, short version, int correlationId, ReadOnlySpan<byte> batch)
    {
        int arrival = ++_arrivals;
        _outstanding++;
        short epoch = RecordBatchHeader.ProducerEpoch(batch);
        int sequence = RecordBatchHeader.BaseSequence(batch);
        int count = RecordBatchHeader.RecordsCount(batch);
        int record = (int)(RecordBatchHeader.BaseTimestamp(batch) - BaseTimestamp);
        if (arrival == _forgetStateAtArrival)
        {
            // A leader that holds no state for this producer takes this batch (as a node whose copy of the partition lost it).
            _epoch = -1;
            _lastSequence = -1;
            _recentBatches.Clear();
        }
        WireErrorCode error;
        if (_errorsByArrival.Remove(arrival, out var scripted)) error = scripted;
        else if (RecordBatchHeader.ProducerId(batch) < 0) error = WireErrorCode.None;
        else if (_epoch < 0) error = WireErrorCode.None; // no state for the producer: any sequence is taken (KIP-360)
        else if (epoch < _epoch) error = WireErrorCode.InvalidProducerEpoch;
        else if (epoch > _epoch) error = sequence == 0 ? WireErrorCode.None : WireErrorCode.OutOfOrderSequenceNumber;
        else if (_recentBatches.Contains((epoch, sequence, sequence + count - 1))) error = WireErrorCode.DuplicateSequenceNumber; // one of the last five
        else error = sequence == _lastSequence + 1 ? WireErrorCode.None : WireErrorCode.OutOfOrderSequenceNumber;
        long offset = -1;
        if (error == WireErrorCode.None)
        {
            if (RecordBatchHeader.ProducerId(batch) >= 0)
            {
                _epoch = epoch;
                _lastSequence = sequence + count - 1;
                _recentBatches.Add((epoch, sequence, _lastSequence));
                if (_recentBatches.Count > 5) _recentBatches.RemoveAt(0);
            }
            offset = _nextOffset;
            _nextOffset += count;
            for (int i = 0; i < count; i++) Log.Add(record + i);
        }
        // Written, but the answer says it timed out (as when a leader's acks=all wait ran out): the client cannot tell.
        if (_lostAnswers.Remove(arrival) && error == WireErrorCode.None) error = WireErrorCode.RequestTimedOut;
        Arrived.Add((epoch, sequence, record, _outstanding, error));
        return Respond(key, version, correlationId, new ProduceResponse
        {
            Responses = [new ProduceResponse.TopicProduceResponse
            {
                Name = Topic,
                PartitionResponses = [new ProduceResponse.PartitionProduceResponse { Index = 0, ErrorCode = (short)error, BaseOffset = offset, LogAppendTimeMs = -1, LogStartOffset = 0 }],
            }],
        });
    }

    private static ApiVersionsResponse.ApiVersion Api(ApiKey key, short min, short max) => new() { ApiKey = (short)key, MinVersion = min, MaxVersion = max };

    private static byte[] Respond<T>(short key, short version, int correlationId, T response) where T : IProtocolMessage<T>
    {
        byte[] body = new byte[((IProtocolStruct)response).Size(version)];
        var writer = new ProtocolWriter(body);
        response.Write(ref writer, version);
        return ScriptedBroker.Frame(correlationId, RequestFraming.ResponseHeaderVersion(key, version) >= 1 ? [0, .. body] : body);
    }

    /// <summary>A producer whose every record is a batch of its own (batch.size of one byte), sent at once.</summary>
    private IProducer<string, string> Producer(params (string Key, string Value)[] settings)
    {
        var config = new ProducerConfig
        {
            BootstrapServers = "127.0.0.1:" + _broker.Port, LingerMs = 0, BatchSize = 1, RetryBackoffMs = 10, DeliveryTimeoutMs = 30_000, RequestTimeoutMs = 10_000,
        };
        foreach (var (key, value) in settings) config.Set(key, value);
        return new ProducerBuilder<string, string>(config).Build();
    }

    /// <summary>
    /// Sends records <paramref name="from"/>..<paramref name="to"/>−1 without waiting (each with its index as its
    /// timestamp); the order delivery reports come in is noted in <paramref name="reported"/>.
    /// </summary>
    private static List<Task<DeliveryReport<string, string>>> Send(IProducer<string, string> producer, int from, int to, List<int>? reported = null)
    {
        var results = new List<Task<DeliveryReport<string, string>>>();
        for (int i = from; i < to; i++)
        {
            int record = i;
            var done = new TaskCompletionSource<DeliveryReport<string, string>>(TaskCreationOptions.RunContinuationsAsynchronously);
            producer.Produce(new TopicPartition(Topic, 0), new Message<string, string>
            {
                Key = "k", Value = "v" + i, Timestamp = new Timestamp(BaseTimestamp + i, TimestampType.CreateTime),
            }, report =>
            {
                if (reported is not null) lock (reported) reported.Add(record);
                done.SetResult(report);
            });
            results.Add(done.Task);
        }
        return results;
    }

    /// <summary>Record 0, delivered: an idempotent producer pipelines a partition only once a batch of it was acknowledged.</summary>
    private static async Task Warm(IProducer<string, string> producer) => Assert.Equal(0L, (await Send(producer, 0, 1)[0]).Offset.Value);

    [Theory]
    [InlineData("all")] // idempotent
    [InlineData("1")]
    public async Task Several_batches_of_one_partition_are_in_flight_at_once(string acks)
    {
        using var producer = Producer(("acks", acks));
        await Warm(producer);
        _holdUntil = 4; // no answer before three requests are outstanding

        var results = await Task.WhenAll(Send(producer, 1, 4));

        Assert.Equal(3, MaxOutstanding);
        Assert.Equal([1L, 2, 3], results.Select(r => r.Offset.Value));
        Assert.Equal([0, 1, 2, 3], Log);
        if (acks == "all") Assert.Equal([0, 1, 2, 3], Arrived.Select(a => a.Sequence));
    }

    [Fact]
    public async Task No_more_batches_of_a_partition_are_in_flight_than_max_in_flight()
    {
        using var producer = Producer(("max.in.flight.requests.per.connection", "2"));
        await Warm(producer);
        _holdUntil = 4;

        var results = await Task.WhenAll(Send(producer, 1, 7));

        Assert.Equal(2, MaxOutstanding); // the third stays back: the broker held the first two until its timeout
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], Log);
        Assert.Equal([1L, 2, 3, 4, 5, 6], results.Select(r => r.Offset.Value));
    }

    [Fact]
    public async Task A_fresh_idempotent_producer_sends_one_batch_of_a_partition_until_one_is_acknowledged()
    {
        // The first batch is refused (the leader moved); a broker without this producer's state would take the second from
        // sequence 1, after which sequence 0 could never be written (the interop case idempotent-producers hung on this).
        _holdUntil = 2; // had the client sent a second batch, both would be outstanding before either was answered
        _errorsByArrival[1] = WireErrorCode.NotLeaderOrFollower;
        var reported = new List<int>();
        using var producer = Producer();

        var results = await Task.WhenAll(Send(producer, 0, 3, reported));

        Assert.Equal([(0, 1, WireErrorCode.NotLeaderOrFollower), (0, 1, WireErrorCode.None)], Arrived.Take(2).Select(a => (a.Sequence, a.Outstanding, a.Answer)));
        Assert.Equal([0, 0, 1, 2], Arrived.Select(a => a.Sequence));
        Assert.All(Arrived, a => Assert.Equal(0, a.Epoch));
        Assert.Equal([0, 1, 2], Log);
        Assert.All(results, r => Assert.False(r.Error.IsError, r.Error.Reason));
        Assert.Equal([0L, 1, 2], results.Select(r => r.Offset.Value));
        Assert.Equal([0, 1, 2], reported);
    }

    [Fact]
    public async Task After_the_first_acknowledgement_a_partition_is_pipelined_again()
    {
        using var producer = Producer();
        _holdUntil = 3;

        var results = await Task.WhenAll(Send(producer, 0, 4));

        // The first alone (held until the broker's timeout, as no second one came); once it is acknowledged the next
        // ones go out without waiting for each other's answers (the second is held until the third arrives).
        Assert.Equal([(0, 1), (1, 1), (2, 2)], Arrived.Take(3).Select(a => (a.Sequence, a.Outstanding)));
        Assert.Equal([0, 1, 2, 3], Log);
        Assert.Equal([0L, 1, 2, 3], results.Select(r => r.Offset.Value));
    }

    [Fact]
    public async Task A_batch_refused_out_of_order_below_the_acknowledged_sequence_fails_and_the_epoch_is_bumped()
    {
        // A backoff long enough that sequence 2's acknowledgement is applied before sequence 1's resend is answered.
        using var producer = Producer(("retry.backoff.ms", "200"), ("request.timeout.ms", "4000"), ("delivery.timeout.ms", "5000"));
        await Warm(producer);
        _holdUntil = 3;
        _errorsByArrival[2] = WireErrorCode.NotLeaderOrFollower; // sequence 1 is refused
        _forgetStateAtArrival = 3; // and sequence 2, in flight beside it, is taken by a leader without the producer's state

        var results = await Task.WhenAll(Send(producer, 1, 3));
        var later = await Task.WhenAll(Send(producer, 3, 4));

        Assert.Equal(2, Arrived.Skip(1).Take(2).Max(a => a.Outstanding));
        // Sequence 1's resend is refused (the broker expects 3 now): it can never be written, so it is not sent again.
        Assert.Equal([WireErrorCode.NotLeaderOrFollower, WireErrorCode.OutOfOrderSequenceNumber],
            Arrived.Where(a => a.Epoch == 0 && a.Sequence == 1).Select(a => a.Answer));
        Assert.Equal(WireErrorCode.OutOfOrderSequenceNumber, (WireErrorCode)results[0].Error.Code);
        Assert.False(results[1].Error.IsError, results[1].Error.Reason);
        // The epoch is bumped: the partition's next batch starts at sequence 0 under epoch 1, and is taken.
        Assert.Equal(((short)1, 0, 3), Arrived.Select(a => (a.Epoch, a.Sequence, a.Record)).Last());
        Assert.False(later[0].Error.IsError, later[0].Error.Reason);
        Assert.Equal([0, 2, 3], Log);
        Assert.Equal([1L, 2], new[] { results[1], later[0] }.Select(r => r.Offset.Value));
    }

    [Theory]
    [InlineData("all")]
    [InlineData("1")]
    public async Task With_max_in_flight_one_a_partition_has_one_batch_in_flight(string acks)
    {
        _holdUntil = 2;
        using var producer = Producer(("acks", acks), ("max.in.flight.requests.per.connection", "1"));

        var results = await Task.WhenAll(Send(producer, 0, 4));

        Assert.Equal(1, MaxOutstanding);
        Assert.Equal([0, 1, 2, 3], Log);
        Assert.Equal([0L, 1, 2, 3], results.Select(r => r.Offset.Value));
    }

    [Theory]
    [InlineData(WireErrorCode.NotLeaderOrFollower)]
    [InlineData(WireErrorCode.RequestTimedOut)]
    public async Task When_the_first_of_three_in_flight_batches_fails_they_are_resent_in_sequence_order(WireErrorCode error)
    {
        var reported = new List<int>();
        // A backoff long enough that the refusals of 2 and 3 are applied before 1's resend is answered.
        using var producer = Producer(("retry.backoff.ms", "200"));
        await Warm(producer);
        _holdUntil = 4;
        _errorsByArrival[2] = error; // sequence 1 is refused; the broker then refuses 2 and 3 as out of order

        var results = await Task.WhenAll(Send(producer, 1, 4, reported));
        var more = await Task.WhenAll(Send(producer, 4, 6));

        Assert.Equal(3, Arrived.Skip(1).Take(3).Max(a => a.Outstanding));
        Assert.Equal([error, WireErrorCode.OutOfOrderSequenceNumber, WireErrorCode.OutOfOrderSequenceNumber], Arrived.Skip(1).Take(3).Select(a => a.Answer));
        // Resent in sequence order, each only once the one before it was answered (the Java client's first-in-flight rule),
        // with their numbers and epoch unchanged (a gap shown by a batch that is not the next one is no reason to bump).
        Assert.Equal([(1, 1), (2, 1), (3, 1)], Arrived.Skip(4).Take(3).Select(a => (a.Sequence, a.Outstanding)));
        Assert.All(Arrived, a => Assert.Equal(0, a.Epoch));
        Assert.Equal([0, 1, 2, 3, 4, 5], Log); // nothing twice, nothing out of order
        Assert.Equal([1L, 2, 3], results.Select(r => r.Offset.Value));
        Assert.Equal([4L, 5], more.Select(r => r.Offset.Value));
        Assert.Equal([1, 2, 3], reported); // delivery reports in the partition's order
    }

    [Fact]
    public async Task Lost_producer_state_renumbers_every_batch_in_flight_in_order_under_a_new_epoch()
    {
        using var producer = Producer();
        await Task.WhenAll(Send(producer, 0, 1)); // sequence 0 under epoch 0 is written
        _holdUntil = 4;
        _errorsByArrival[2] = WireErrorCode.UnknownProducerId; // the broker lost this producer's state (log start 0 > nothing acknowledged below it)
        _errorsByArrival[3] = WireErrorCode.UnknownProducerId;
        _errorsByArrival[4] = WireErrorCode.UnknownProducerId;

        var results = await Task.WhenAll(Send(producer, 1, 4));

        Assert.Equal(3, Arrived.Skip(1).Take(3).Max(a => a.Outstanding));
        // One bump for the three refusals; the three batches go again from sequence 0 under it, in order, none before
        // every batch of the old epoch was answered.
        Assert.Equal([((short)1, 0, 1), ((short)1, 1, 2), ((short)1, 2, 3)], Arrived.Skip(4).Select(a => (a.Epoch, a.Sequence, a.Record)));
        Assert.Equal([0, 1, 2, 3], Log);
        Assert.Equal([1L, 2, 3], results.Select(r => r.Offset.Value));
    }

    [Fact]
    public async Task A_batch_failed_with_its_fate_unknown_does_not_get_the_ones_after_it_numbered_again()
    {
        using var producer = Producer(("retries", "1"), ("retry.backoff.ms", "200"));
        await Warm(producer);
        _holdUntil = 4;
        _lostAnswers.Add(2); // sequence 1 written, its answer a timeout
        _lostAnswers.Add(3); // sequence 2 the same
        _errorsByArrival[5] = WireErrorCode.RequestTimedOut; // sequence 1's resend times out too: out of attempts, it fails

        var results = await Task.WhenAll(Send(producer, 1, 4));
        var later = await Task.WhenAll(Send(producer, 4, 5));

        Assert.True(results[0].Error.IsError); // reported failed: the client cannot know it was written
        Assert.False(results[1].Error.IsError, results[1].Error.Reason); // resent with its number: a duplicate, taken as delivered
        Assert.False(results[2].Error.IsError, results[2].Error.Reason);
        Assert.Equal([0, 1, 2, 3, 4], Log); // nothing written twice (renumbering sequence 2 under a new epoch would have)
        Assert.All(Arrived, a => Assert.Equal(0, a.Epoch));
        Assert.Equal(4L, later[0].Offset.Value);
    }

    public async ValueTask DisposeAsync() => await _broker.DisposeAsync();
}
