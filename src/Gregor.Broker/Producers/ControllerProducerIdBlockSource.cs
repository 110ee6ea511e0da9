using Gregor.Broker.Handlers;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Producers;

/// <summary>
/// Producer id blocks from the active controller (AllocateProducerIds, KIP-730): the node's own controller when it is
/// the active one (a single node, or a combined node leading the quorum), else the active controller over the wire.
/// The request names this broker and its current broker epoch, which the controller checks. An answer that means
/// "ask again" (NOT_CONTROLLER while the quorum elects, STALE_BROKER_EPOCH while this broker re-registers, an
/// unreachable controller) is retried a few times here; after that, or on any other error, the fetch fails and
/// <see cref="ProducerIdManager"/> tries again after its backoff.
/// </summary>
public sealed class ControllerProducerIdBlockSource : IProducerIdBlockSource
{
    /// <summary>Sends AllocateProducerIds to the active controller and returns its answer (throws when it cannot be reached).</summary>
    public delegate Task<AllocateProducerIdsResponse> RemoteAllocate(AllocateProducerIdsRequest request, CancellationToken cancellationToken);

    /// <summary>Tries per fetch for answers that mean "ask again".</summary>
    public const int MaxAttempts = 5;

    private readonly int _brokerId;
    private readonly Func<long> _brokerEpoch;
    private readonly QuorumController? _local;
    private readonly RemoteAllocate? _remote;
    private readonly TimeProvider _time;
    private readonly TimeSpan _retryBackoff;

    /// <param name="brokerEpoch">This broker's registration epoch now, or −1 while it is not registered.</param>
    /// <param name="local">This node's controller, asked whenever it is the active one; null on a broker-only node.</param>
    /// <param name="remote">The way to the active controller elsewhere; null where the local controller is the only one.</param>
    public ControllerProducerIdBlockSource(int brokerId, Func<long> brokerEpoch, QuorumController? local, RemoteAllocate? remote, TimeProvider time,
        TimeSpan? retryBackoff = null)
    {
        ArgumentNullException.ThrowIfNull(brokerEpoch);
        ArgumentNullException.ThrowIfNull(time);
        if (local is null && remote is null) throw new ArgumentException("a block source needs a controller to ask");
        _brokerId = brokerId;
        _brokerEpoch = brokerEpoch;
        _local = local;
        _remote = remote;
        _time = time;
        _retryBackoff = retryBackoff ?? TimeSpan.FromMilliseconds(100);
    }

    public async Task<ProducerIdBlock> FetchBlockAsync(CancellationToken cancellationToken)
    {
        string why = "";
        for (int attempt = 1; attempt <= MaxAttempts; attempt++)
        {
            if (attempt > 1) await Task.Delay(_retryBackoff, _time, cancellationToken).ConfigureAwait(false);
            long epoch = _brokerEpoch();
            if (epoch < 0)
            {
                why = $"broker {_brokerId} is not registered with the controller yet";
                continue;
            }
            (ErrorCode error, string? message, ProducerIdBlock block) = await AllocateAsync(epoch, cancellationToken).ConfigureAwait(false);
            if (error == ErrorCode.None) return block;
            why = message ?? error.ToString();
            if (error is not (ErrorCode.NotController or ErrorCode.StaleBrokerEpoch or ErrorCode.RequestTimedOut or ErrorCode.NetworkException))
                break;
        }
        throw new IOException($"the controller handed out no producer id block: {why}");
    }

    private async Task<(ErrorCode Error, string? Message, ProducerIdBlock Block)> AllocateAsync(long epoch, CancellationToken cancellationToken)
    {
        if (_local is not null && (_remote is null || _local.IsActive))
        {
            try
            {
                ProducerIdsOutcome outcome = await _local.AllocateProducerIdsAsync(_brokerId, epoch, cancellationToken).ConfigureAwait(false);
                return (outcome.Error, outcome.Message, new ProducerIdBlock(outcome.FirstProducerId, outcome.Length));
            }
            catch (Exception e) when (ControllerFailures.IsControllerFailure(e))
            {
                return (ControllerFailures.ErrorFor(e), e.Message, default);
            }
        }
        AllocateProducerIdsResponse response;
        try
        {
            response = await _remote!(new AllocateProducerIdsRequest { BrokerId = _brokerId, BrokerEpoch = epoch }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or ObjectDisposedException or Net.BrokerApiUnsupportedException)
        {
            return (ErrorCode.NetworkException, $"the controller could not be reached: {e.Message}", default);
        }
        var error = (ErrorCode)response.ErrorCode;
        return (error, error == ErrorCode.None ? null : $"the controller answered {error}", new ProducerIdBlock(response.ProducerIdStart, response.ProducerIdLen));
    }
}
