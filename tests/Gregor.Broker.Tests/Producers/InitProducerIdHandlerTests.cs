using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Broker.Producers;
using Gregor.Broker.Tests.Network;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Tests.Producers;

/// <summary>InitProducerId for idempotent producers: a fresh id with epoch 0 at every version, Kafka's answers to the rest.</summary>
public sealed class InitProducerIdHandlerTests : IDisposable
{
    private sealed class Blocks : IProducerIdBlockSource
    {
        private long _next = 5000;

        public Task<ProducerIdBlock> FetchBlockAsync(CancellationToken cancellationToken)
        {
            long first = Interlocked.Add(ref _next, 1000) - 1000;
            return Task.FromResult(new ProducerIdBlock(first, 1000));
        }
    }

    private readonly ProducerIdManager _manager = new(new Blocks(), new ManualClock(), TimeSpan.Zero);
    private readonly InitProducerIdHandler _handler;

    public InitProducerIdHandlerTests() => _handler = new InitProducerIdHandler(_manager);

    public void Dispose() => _manager.Dispose();

    private async Task<InitProducerIdResponse> SendAsync(InitProducerIdRequest request, short version)
    {
        byte[] body = request.Serialize(version);
        var context = new RequestContext(ApiKey.InitProducerId, version, 1, "tests", null, 1, body);
        var response = (InitProducerIdResponse)(await _handler.HandleAsync(context, body, CancellationToken.None))!;
        return InitProducerIdResponse.Deserialize(response.Serialize(version), version);
    }

    /// <summary>The first request starts the first block's fetch and is told to retry, as Kafka's broker answers.</summary>
    private async Task WarmUpAsync()
    {
        var first = await SendAsync(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 }, 0);
        Assert.Equal((short)ErrorCode.CoordinatorLoadInProgress, first.ErrorCode);
        Assert.Equal(-1, first.ProducerId);
        if (_manager.RunningFetch is { } fetch) await fetch;
    }

    [Fact]
    public void Every_version_kafka_defines_is_served()
    {
        Assert.Equal(ApiKey.InitProducerId, _handler.Api);
        Assert.Equal((0, 5), (_handler.LowestVersion, _handler.HighestVersion));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Without_a_transactional_id_each_request_gets_a_new_id_with_epoch_zero(short version)
    {
        await WarmUpAsync();

        var a = await SendAsync(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 }, version);
        var b = await SendAsync(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = -7 }, version); // not looked at

        Assert.Equal((0, 5000L, (short)0), (a.ErrorCode, a.ProducerId, a.ProducerEpoch));
        Assert.Equal((0, 5001L, (short)0), (b.ErrorCode, b.ProducerId, b.ProducerEpoch));
    }

    [Fact]
    public async Task A_producer_presenting_its_id_and_epoch_gets_a_new_id_as_from_kafka()
    {
        await WarmUpAsync();
        var first = await SendAsync(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 }, 4);

        var bumped = await SendAsync(new InitProducerIdRequest
        {
            TransactionalId = null, TransactionTimeoutMs = 60000, ProducerId = first.ProducerId, ProducerEpoch = first.ProducerEpoch,
        }, 4);

        Assert.Equal(0, bumped.ErrorCode);
        Assert.NotEqual(first.ProducerId, bumped.ProducerId);
        Assert.Equal(0, bumped.ProducerEpoch);
    }

    [Theory]
    [InlineData(12L, (short)-1)]
    [InlineData(-1L, (short)3)]
    public async Task An_id_without_an_epoch_or_an_epoch_without_an_id_is_an_invalid_request(long producerId, short epoch)
    {
        var response = await SendAsync(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000, ProducerId = producerId, ProducerEpoch = epoch }, 3);

        Assert.Equal((short)ErrorCode.InvalidRequest, response.ErrorCode);
        Assert.Equal((-1L, (short)-1), (response.ProducerId, response.ProducerEpoch));
    }

    [Fact]
    public async Task A_transactional_id_is_refused_for_good_until_transactions_exist_and_an_empty_one_is_invalid()
    {
        await WarmUpAsync();

        var transactional = await SendAsync(new InitProducerIdRequest { TransactionalId = "orders", TransactionTimeoutMs = 60000 }, 1);
        var empty = await SendAsync(new InitProducerIdRequest { TransactionalId = "", TransactionTimeoutMs = 60000 }, 1);

        Assert.Equal((short)ErrorCode.UnsupportedVersion, transactional.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, empty.ErrorCode);
        Assert.Equal(-1, transactional.ProducerId);
        var next = await SendAsync(new InitProducerIdRequest { TransactionalId = null, TransactionTimeoutMs = 60000 }, 1);
        Assert.Equal(5000, next.ProducerId); // no id was spent on the refusals
    }
}
