using Gregor.Broker.Dispatch;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using W = Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers.Brokers;

/// <summary>
/// AlterPartition (KIP-497), sent by a partition leader to the active controller to shrink or expand the ISR; the change
/// is committed to the metadata log before it is answered. Versions 0-3: v1 adds the leader recovery state, v2 names
/// topics by id, v3 gives each ISR member's broker epoch. A controller that is not active answers NOT_CONTROLLER for the
/// whole request and the leader looks for the one that is.
/// </summary>
public sealed class AlterPartitionHandler(QuorumController controller) : ApiHandler<W.AlterPartitionRequest, W.AlterPartitionResponse>
{
    public override ApiKey Api => ApiKey.AlterPartition;

    protected override async ValueTask<W.AlterPartitionResponse?> HandleAsync(RequestContext context, W.AlterPartitionRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        var asked = new AlterPartitionRequest(request.BrokerId, request.BrokerEpoch, version, [.. request.Topics.Select(t => new TopicIsrChanges(
            version < 2 ? t.TopicName : null, version >= 2 ? t.TopicId : default,
            [.. t.Partitions.Select(p => new IsrChange(p.PartitionIndex, p.LeaderEpoch, p.PartitionEpoch,
                version >= 3 ? [.. p.NewIsrWithEpochs.Select(m => new IsrMember(m.BrokerId, m.BrokerEpoch))] : [.. p.NewIsr.Select(id => new IsrMember(id, -1))],
                (LeaderRecoveryState)p.LeaderRecoveryState))]))]);
        AlterPartitionOutcome outcome;
        try
        {
            outcome = await controller.AlterPartitionAsync(asked, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
        {
            outcome = AlterPartitionOutcome.Failed(ControllerFailures.ErrorFor(e), e.Message);
        }
        var response = new W.AlterPartitionResponse { ThrottleTimeMs = 0, ErrorCode = (short)outcome.Error };
        foreach (var topic in outcome.Topics)
        {
            var result = new W.AlterPartitionResponse.AlterPartitionTopicResult { TopicName = topic.Name ?? "", TopicId = topic.TopicId };
            foreach (var p in topic.Partitions)
            {
                result.Partitions.Add(new W.AlterPartitionResponse.AlterPartitionPartitionResult
                {
                    PartitionIndex = p.Partition,
                    ErrorCode = (short)p.Error,
                    LeaderId = p.Leader,
                    LeaderEpoch = p.LeaderEpoch,
                    Isr = [.. p.Isr],
                    LeaderRecoveryState = (sbyte)p.RecoveryState,
                    PartitionEpoch = p.PartitionEpoch,
                });
            }
            response.Topics.Add(result);
        }
        return response;
    }
}
