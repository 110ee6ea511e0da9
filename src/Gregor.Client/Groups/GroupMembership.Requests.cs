using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Groups;

/// <summary>What to send when, and the answers that are not about joining (coordinator lookup, leaving, failures).</summary>
internal sealed partial class GroupMembership
{
    private CoordinatorNode? _coordinator;
    private GroupCall? _coordinatorCall;
    private MetadataCall? _metadataCall;
    private long _nextCallId;
    private long _coordinatorRetryAtMs;
    private int _coordinatorFailures;

    /// <summary>
    /// The calls to send now: at most one per lane in flight. Time-driven transitions happen here
    /// too: a coordinator silent for session.timeout.ms is rediscovered, and a member not polled for
    /// max.poll.interval.ms leaves the group.
    /// </summary>
    public IReadOnlyList<GroupCall> NextRequests(long nowMs)
    {
        var calls = new List<GroupCall>(2);
        if (State == MembershipState.Closed || _fatal is not null) return calls;
        CheckTimers(nowMs);
        AdvanceSteps(nowMs);
        if (_coordinatorCall is null && nowMs >= _coordinatorRetryAtMs && NextCoordinatorCall(nowMs) is { } call)
        {
            _coordinatorCall = call;
            calls.Add(call);
        }
        if (_metadataCall is null && NextMetadataCall(nowMs) is { } metadata)
        {
            _metadataCall = metadata;
            calls.Add(metadata);
        }
        return calls;
    }

    /// <summary>False once the membership has given up on a call (its answer would be ignored): the driver should stop waiting for it.</summary>
    public bool IsInFlight(GroupCall call) => ReferenceEquals(call, _coordinatorCall) || ReferenceEquals(call, _metadataCall);

    /// <summary>The latest time by which <see cref="NextRequests"/> should be called again if nothing else happens; null for never.</summary>
    public long? NextWakeMs(long nowMs)
    {
        if (State == MembershipState.Closed || _fatal is not null) return null;
        long? wake = null;
        void At(long ms) => wake = wake is null ? ms : Math.Min(wake.Value, ms);
        if (_coordinatorCall is null && _coordinatorRetryAtMs > nowMs) At(_coordinatorRetryAtMs);
        if (State == MembershipState.Stable && _coordinator is not null)
        {
            if (_coordinatorCall is null) At(_heartbeatDueMs);
            At(_sessionDeadlineMs + 1);
            if (HasGeneration && !_leaving) At(_lastPollMs + (long)_settings.MaxPollInterval.TotalMilliseconds + 1);
        }
        if (_metadataCall is null && MetadataWanted() is not null) At(_metadataDueMs);
        return wake is null ? null : Math.Max(wake.Value, nowMs);
    }

    private GroupCall? NextCoordinatorCall(long nowMs)
    {
        if (_pendingLeave is { } leave)
        {
            if (_coordinator is null)
            {
                FinishLeaving(); // the coordinator is gone: it forgets the member by itself
                return null;
            }
            return LeaveCall(leave.MemberId, leave.Reason);
        }
        if (_leaving || _leftForPollTimeout || !Subscribed) return null;
        if (_coordinator is null)
        {
            return new FindCoordinatorCall(++_nextCallId, _settings.RequestTimeout, GroupCoordinatorLookup.ForGroup(_settings.GroupId));
        }
        switch (State)
        {
            case MembershipState.PreparingRebalance:
                // A regex is resolved against metadata before the member joins with it.
                return StepsOutstanding || !_subscriptionResolved ? null : JoinCall();
            case MembershipState.CompletingRebalance:
                return _syncAssignments is null ? null : SyncCall();
            case MembershipState.Stable:
                if (_rejoinNeeded && !StepsOutstanding && _subscriptionResolved)
                {
                    State = MembershipState.PreparingRebalance;
                    return JoinCall();
                }
                return nowMs >= _heartbeatDueMs ? HeartbeatCallAt(nowMs) : null;
            default:
                return null;
        }
    }

    private LeaveGroupCall LeaveCall(string memberId, string reason)
    {
        var request = new LeaveGroupRequest
        {
            GroupId = _settings.GroupId,
            MemberId = memberId,
            Members = [new LeaveGroupRequest.MemberIdentity { MemberId = memberId, GroupInstanceId = _settings.GroupInstanceId, Reason = reason }],
        };
        return new LeaveGroupCall(++_nextCallId, _settings.RequestTimeout, memberId, request);
    }

    public void OnFindCoordinator(FindCoordinatorCall call, FindCoordinatorResponse response, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!ReferenceEquals(call, _coordinatorCall)) return;
        _coordinatorCall = null;
        var (error, node, message) = GroupCoordinatorLookup.Read(response, _settings.GroupId);
        if (error == WireErrorCode.None && node is not null)
        {
            _coordinator = node;
            _coordinatorFailures = 0;
            _sessionDeadlineMs = nowMs + (long)_settings.SessionTimeout.TotalMilliseconds;
            _heartbeatDueMs = nowMs;
            return;
        }
        if (error is not (WireErrorCode.CoordinatorNotAvailable or WireErrorCode.NotCoordinator or WireErrorCode.CoordinatorLoadInProgress))
            Surface(error, $"FindCoordinator failed: {error.KafkaName()}{(message is null ? "" : " (" + message + ")")}");
        BackOff(nowMs);
    }

    public void OnLeaveGroup(LeaveGroupCall call, LeaveGroupResponse response, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (!ReferenceEquals(call, _coordinatorCall)) return;
        _coordinatorCall = null;
        // Kafka's clients do not retry a leave: whatever the answer, the member is gone.
        FinishLeaving();
        _ = nowMs;
    }

    /// <summary>A call failed without an answer (connection lost, timed out, or refused before sending).</summary>
    public void OnFailure(GroupCall call, Exception error, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(call);
        ArgumentNullException.ThrowIfNull(error);
        if (call is MetadataCall metadata)
        {
            if (!ReferenceEquals(metadata, _metadataCall)) return;
            _metadataCall = null;
            _metadataFailures++;
            _metadataDueMs = nowMs + BackoffMs(_metadataFailures);
            return;
        }
        if (!ReferenceEquals(call, _coordinatorCall)) return;
        _coordinatorCall = null;
        if (error is KafkaException refused)
        {
            if (!_errors.Any(e => e.Error.Code == refused.Error.Code)) _errors.Enqueue(refused);
        }
        else if (call is not FindCoordinatorCall) MarkCoordinatorUnknown();
        switch (call)
        {
            case LeaveGroupCall:
                FinishLeaving();
                return;
            case JoinGroupCall:
            case SyncGroupCall:
                State = MembershipState.PreparingRebalance;
                RequestRejoin("the previous attempt failed");
                break;
        }
        BackOff(nowMs);
    }

    private void MarkCoordinatorUnknown()
    {
        _coordinator = null;
        if (_coordinatorCall is not FindCoordinatorCall) _coordinatorCall = null;
        if (State == MembershipState.CompletingRebalance)
        {
            State = MembershipState.PreparingRebalance;
            _syncAssignments = null;
            RequestRejoin("the coordinator changed during the rebalance");
        }
    }

    /// <summary>Stops waiting for a JoinGroup or SyncGroup (closing, unsubscribing): the driver drops it and its connection.</summary>
    private void AbandonRebalanceCall()
    {
        if (_coordinatorCall is JoinGroupCall or SyncGroupCall) _coordinatorCall = null;
    }

    private void BackOff(long nowMs)
    {
        _coordinatorFailures++;
        _coordinatorRetryAtMs = nowMs + BackoffMs(_coordinatorFailures);
    }

    /// <summary>retry.backoff.ms doubling per consecutive failure up to retry.backoff.max.ms.</summary>
    private long BackoffMs(int failures)
    {
        double ms = _settings.RetryBackoff.TotalMilliseconds * Math.Pow(2, Math.Min(failures - 1, 20));
        return (long)Math.Min(ms, Math.Max(_settings.RetryBackoffMax.TotalMilliseconds, _settings.RetryBackoff.TotalMilliseconds));
    }
}
