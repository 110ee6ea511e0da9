using Gregor.Broker.Dispatch;
using Gregor.Broker.Producers;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Records;

namespace Gregor.Broker.Handlers;

/// <summary>
/// InitProducerId, v0-5, for idempotent producers (no transactional id): a new producer id from this broker's block,
/// with epoch 0. As Kafka's broker, the id and epoch a v3+ producer presents (KIP-360) are only checked to be both
/// given or both absent: a producer without a transactional id has no state at the coordinator to bump, so it always
/// gets a fresh id (its sequences start again at 0, which partitions accept from an unknown id), and the transaction
/// timeout is not looked at. While no id is at hand (the controller has not answered yet) the answer is
/// COORDINATOR_LOAD_IN_PROGRESS, which clients retry.
/// A transactional id asks for transactions, which this broker does not have yet: UNSUPPORTED_VERSION, which no
/// client retries (an empty one is INVALID_REQUEST, as Kafka answers).
/// </summary>
public sealed class InitProducerIdHandler(ProducerIdManager producerIds) : ApiHandler<InitProducerIdRequest, InitProducerIdResponse>
{
    public override ApiKey Api => ApiKey.InitProducerId;

    protected override ValueTask<InitProducerIdResponse?> HandleAsync(RequestContext context, InitProducerIdRequest request, CancellationToken cancellationToken) =>
        ValueTask.FromResult<InitProducerIdResponse?>(Handle(request));

    private InitProducerIdResponse Handle(InitProducerIdRequest request)
    {
        bool noId = request.ProducerId == RecordBatchHeader.NoProducerId;
        bool noEpoch = request.ProducerEpoch == RecordBatchHeader.NoProducerEpoch;
        if (noId != noEpoch)
            return Failed(ErrorCode.InvalidRequest);
        if (request.TransactionalId is { } transactionalId)
            return Failed(transactionalId.Length == 0 ? ErrorCode.InvalidRequest : ErrorCode.UnsupportedVersion);
        try
        {
            return new InitProducerIdResponse { ErrorCode = (short)ErrorCode.None, ProducerId = producerIds.NextProducerId(), ProducerEpoch = 0 };
        }
        catch (ProducerIdsUnavailableException e)
        {
            return Failed(e.Error);
        }
    }

    private static InitProducerIdResponse Failed(ErrorCode error) =>
        new() { ErrorCode = (short)error, ProducerId = RecordBatchHeader.NoProducerId, ProducerEpoch = RecordBatchHeader.NoProducerEpoch };
}
