using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Groups;

/// <summary>Heartbeats and the two timers: the coordinator's session and the application's poll interval.</summary>
internal sealed partial class GroupMembership
{
    private long _lastPollMs;
    private long _heartbeatDueMs;
    private long _sessionDeadlineMs;

    private HeartbeatCall HeartbeatCallAt(long nowMs)
    {
        var request = new HeartbeatRequest { GroupId = _settings.GroupId, GenerationId = GenerationId, MemberId = MemberId, GroupInstanceId = _settings.GroupInstanceId };
        _heartbeatDueMs = nowMs + (long)_settings.HeartbeatInterval.TotalMilliseconds;
        return new HeartbeatCall(++_nextCallId, _settings.RequestTimeout, GenerationId, MemberId, request, nowMs);
    }

    public void OnHeartbeat(HeartbeatCall call, HeartbeatResponse response, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(response);
        if (!ReferenceEquals(call, _coordinatorCall)) return;
        _coordinatorCall = null;
        var error = (WireErrorCode)response.ErrorCode;
        bool sameGeneration = call.GenerationId == GenerationId && call.MemberId == MemberId;
        switch (error)
        {
            case WireErrorCode.None:
                _coordinatorFailures = 0;
                _sessionDeadlineMs = nowMs + (long)_settings.SessionTimeout.TotalMilliseconds;
                _heartbeatDueMs = call.SentAtMs + (long)_settings.HeartbeatInterval.TotalMilliseconds;
                return;
            case WireErrorCode.RebalanceInProgress:
                // The coordinator answered, so the session is alive; the group wants everyone back.
                _sessionDeadlineMs = nowMs + (long)_settings.SessionTimeout.TotalMilliseconds;
                _heartbeatDueMs = call.SentAtMs + (long)_settings.HeartbeatInterval.TotalMilliseconds;
                if (State == MembershipState.Stable && sameGeneration) RequestRejoin("the group is rebalancing");
                return;
            case WireErrorCode.IllegalGeneration:
            case WireErrorCode.UnknownMemberId:
                if (sameGeneration) ResetGenerationAndRejoin($"heartbeat answered {error.KafkaName()}");
                return;
            case WireErrorCode.FencedInstanceId:
                if (sameGeneration) Fail(error, $"another member took group.instance.id {_settings.GroupInstanceId}");
                return;
            case WireErrorCode.CoordinatorNotAvailable:
            case WireErrorCode.NotCoordinator:
                MarkCoordinatorUnknown();
                BackOff(nowMs);
                return;
            case WireErrorCode.CoordinatorLoadInProgress:
                BackOff(nowMs);
                _heartbeatDueMs = _coordinatorRetryAtMs;
                return;
            default:
                Surface(error, $"heartbeat failed: {error.KafkaName()}");
                BackOff(nowMs);
                _heartbeatDueMs = _coordinatorRetryAtMs;
                return;
        }
    }

    /// <summary>
    /// A coordinator that has answered no heartbeat for session.timeout.ms is presumed gone and
    /// looked up again. A member not polled for max.poll.interval.ms leaves the group, as the Java
    /// client does (a dynamic one with LeaveGroup, a static one by just forgetting its member id),
    /// so the others need not wait out its session; it rejoins at its next poll.
    /// </summary>
    private void CheckTimers(long nowMs)
    {
        if (State != MembershipState.Stable || _leaving) return;
        if (_coordinator is not null && nowMs > _sessionDeadlineMs)
        {
            _coordinatorCall = null;
            MarkCoordinatorUnknown();
        }
        if (HasGeneration && nowMs - _lastPollMs > (long)_settings.MaxPollInterval.TotalMilliseconds)
        {
            if (!IsStatic && _coordinator is not null)
                _pendingLeave = (MemberId, "consumer poll timeout has expired (max.poll.interval.ms)");
            if (_coordinatorCall is HeartbeatCall) _coordinatorCall = null;
            _leftForPollTimeout = true;
            ResetGeneration();
            State = MembershipState.PreparingRebalance;
            RequestRejoin("polled again after a poll timeout");
        }
    }
}
