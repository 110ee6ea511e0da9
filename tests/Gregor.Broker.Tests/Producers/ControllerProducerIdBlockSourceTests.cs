using Gregor.Broker.Producers;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Tests.Producers;

/// <summary>Blocks from a controller over the wire: this broker's id and epoch in the request, "ask again" answers retried, others fail the fetch.</summary>
public sealed class ControllerProducerIdBlockSourceTests
{
    private sealed class Controller
    {
        public Queue<object> Answers { get; } = new();

        public List<AllocateProducerIdsRequest> Requests { get; } = [];

        public Task<AllocateProducerIdsResponse> AllocateAsync(AllocateProducerIdsRequest request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            object answer = Answers.Dequeue();
            if (answer is Exception e) return Task.FromException<AllocateProducerIdsResponse>(e);
            var (error, first, length) = ((ErrorCode, long, int))answer;
            return Task.FromResult(new AllocateProducerIdsResponse { ErrorCode = (short)error, ProducerIdStart = first, ProducerIdLen = length });
        }
    }

    private static ControllerProducerIdBlockSource Source(Controller controller, Func<long> epoch) =>
        new(brokerId: 4, epoch, local: null, controller.AllocateAsync, TimeProvider.System, retryBackoff: TimeSpan.Zero);

    [Fact]
    public async Task The_block_the_controller_gives_is_returned_and_the_request_names_this_broker_and_its_epoch()
    {
        var controller = new Controller();
        controller.Answers.Enqueue((ErrorCode.None, 3000L, 1000));

        ProducerIdBlock block = await Source(controller, () => 17).FetchBlockAsync(CancellationToken.None);

        Assert.Equal(new ProducerIdBlock(3000, 1000), block);
        var request = Assert.Single(controller.Requests);
        Assert.Equal((4, 17L), (request.BrokerId, request.BrokerEpoch));
    }

    [Fact]
    public async Task Not_controller_a_stale_epoch_and_an_unreachable_controller_are_asked_again()
    {
        var controller = new Controller();
        controller.Answers.Enqueue((ErrorCode.NotController, 0L, 0));
        controller.Answers.Enqueue(new IOException("connection refused"));
        controller.Answers.Enqueue((ErrorCode.StaleBrokerEpoch, 0L, 0));
        controller.Answers.Enqueue((ErrorCode.None, 0L, 1000));
        long epoch = 5;

        ProducerIdBlock block = await Source(controller, () => epoch++).FetchBlockAsync(CancellationToken.None);

        Assert.Equal(new ProducerIdBlock(0, 1000), block);
        Assert.Equal([5L, 6, 7, 8], controller.Requests.Select(r => r.BrokerEpoch)); // the epoch is read again for each try
    }

    [Fact]
    public async Task Another_error_fails_the_fetch_at_once()
    {
        var controller = new Controller();
        controller.Answers.Enqueue((ErrorCode.UnknownServerError, 0L, 0));

        var failure = await Assert.ThrowsAsync<IOException>(() => Source(controller, () => 1).FetchBlockAsync(CancellationToken.None));

        Assert.Contains("UnknownServerError", failure.Message);
        Assert.Single(controller.Requests);
    }

    [Fact]
    public async Task Retries_are_bounded()
    {
        var controller = new Controller();
        for (int i = 0; i < ControllerProducerIdBlockSource.MaxAttempts + 1; i++)
            controller.Answers.Enqueue((ErrorCode.NotController, 0L, 0));

        await Assert.ThrowsAsync<IOException>(() => Source(controller, () => 1).FetchBlockAsync(CancellationToken.None));

        Assert.Equal(ControllerProducerIdBlockSource.MaxAttempts, controller.Requests.Count);
    }

    [Fact]
    public async Task An_unregistered_broker_asks_nothing()
    {
        var controller = new Controller();

        var failure = await Assert.ThrowsAsync<IOException>(() => Source(controller, () => -1).FetchBlockAsync(CancellationToken.None));

        Assert.Contains("not registered", failure.Message);
        Assert.Empty(controller.Requests);
    }
}
