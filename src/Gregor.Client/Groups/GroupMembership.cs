using System.Text.RegularExpressions;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Groups;

/// <summary>
/// A consumer's membership of a group under Kafka's classic protocol, as a state machine without
/// sockets, threads or clocks (DESIGN.md decision 6): every input carries "now" (monotonic
/// milliseconds) and answers come in as values, so tests drive it deterministically.
///
/// Inputs: the consumer's calls (subscribe, poll, completed rebalance steps, close, commit
/// results) and the answers to the calls it asked for. Outputs: <see cref="NextRequests"/> (at most
/// one call per lane in flight), <see cref="NextWakeMs"/> (when time alone will make it act), the
/// rebalance steps the consumer must carry out (from <see cref="Poll"/>), and errors thrown from Poll.
///
/// The flow: FindCoordinator, JoinGroup (a first join with no member id is answered
/// MEMBER_ID_REQUIRED with the id to join with, KIP-394), the leader gathers metadata for every
/// member's topics and runs the assignor the coordinator picked, SyncGroup, then Stable with a
/// heartbeat every heartbeat.interval.ms. Before rejoining an eager member revokes everything; a
/// cooperative one revokes only partitions of topics it left, then after the assignment only what
/// the assignment took away, and rejoins once more if it gave anything up (KIP-429). Partitions
/// of a member whose generation was reset (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, a poll timeout)
/// are lost, not revoked: someone else may already have them.
/// </summary>
internal sealed partial class GroupMembership
{
    public const string ProtocolType = "consumer";

    private readonly MembershipSettings _settings;
    private readonly RebalanceProtocol _protocol;

    // What the consumer subscribed to: a topic list, or a regex resolved against complete metadata.
    private HashSet<string>? _topicList;
    private Regex? _pattern;
    private SortedSet<string> _subscription = new(StringComparer.Ordinal);
    private bool _subscriptionResolved;
    private SortedSet<string> _joinedSubscription = new(StringComparer.Ordinal);

    private bool _rejoinNeeded;
    private string _rejoinReason = "";

    // Rebalance steps for the consumer, handed out one at a time, and what it holds once they are done.
    private readonly Queue<RebalanceStep> _pendingSteps = new();
    private RebalanceStep? _issuedStep;
    private readonly HashSet<TopicPartition> _owned = [];

    // Leaving: unsubscribe, close, or a poll timeout. The LeaveGroup to send, if any.
    private bool _closing;
    private bool _leaving;
    private (string MemberId, string Reason)? _pendingLeave;
    private bool _leftForPollTimeout;

    private readonly Queue<KafkaException> _errors = new();
    private KafkaException? _fatal;

    public GroupMembership(MembershipSettings settings, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Assignors.Count == 0) throw new ArgumentException("no partition assignor", nameof(settings));
        _settings = settings;
        _protocol = PartitionAssignors.ProtocolOf(settings.Assignors);
        _lastPollMs = nowMs;
    }

    public MembershipSettings Settings => _settings;

    public MembershipState State { get; private set; } = MembershipState.Unsubscribed;

    /// <summary>Eager unless every configured assignor is cooperative.</summary>
    public RebalanceProtocol Protocol => _protocol;

    /// <summary>The member id the coordinator gave ("" before the first join and after a reset).</summary>
    public string MemberId { get; private set; } = "";

    public int GenerationId { get; private set; } = -1;

    /// <summary>The assignor the coordinator selected for the current generation.</summary>
    public string? ProtocolName { get; private set; }

    public string? LeaderId { get; private set; }

    public bool IsLeader => LeaderId is not null && LeaderId == MemberId && MemberId.Length > 0;

    public CoordinatorNode? Coordinator => _coordinator;

    /// <summary>The partitions the consumer holds as far as completed steps say.</summary>
    public IReadOnlySet<TopicPartition> Owned => _owned;

    /// <summary>The topics currently subscribed (a regex's matches once metadata has resolved it).</summary>
    public IReadOnlySet<string> Subscription => _subscription;

    public bool RejoinNeeded => _rejoinNeeded;

    public KafkaException? FatalError => _fatal;

    private bool IsStatic => _settings.GroupInstanceId is not null;

    private bool HasGeneration => MemberId.Length > 0 && GenerationId >= 0;

    private bool Subscribed => _topicList is not null || _pattern is not null;

    private bool StepsOutstanding => _issuedStep is not null || _pendingSteps.Count > 0;

    /// <summary>A step or an error waits for the consumer's next poll.</summary>
    public bool HasWorkForConsumer => _pendingSteps.Count > 0 || _errors.Count > 0;

    /// <summary>Subscribes to a list of topics (replacing any earlier subscription); a change triggers a rebalance.</summary>
    public void Subscribe(IEnumerable<string> topics, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var list = new HashSet<string>(StringComparer.Ordinal);
        foreach (string topic in topics)
        {
            if (string.IsNullOrWhiteSpace(topic)) throw new ArgumentException("a subscribed topic name is empty", nameof(topics));
            list.Add(topic);
        }
        if (list.Count == 0) throw new ArgumentException("subscribe to at least one topic (or call Unsubscribe)", nameof(topics));
        BeginSubscription(nowMs);
        _topicList = list;
        _pattern = null;
        SetSubscription(new SortedSet<string>(list, StringComparer.Ordinal), "subscription changed");
    }

    /// <summary>
    /// Subscribes to every topic whose whole name matches <paramref name="pattern"/> (as Java's
    /// Pattern.matches), re-evaluated whenever metadata for all topics arrives.
    /// </summary>
    public void Subscribe(string pattern, long nowMs)
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        var regex = new Regex("^(?:" + pattern + ")$", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        BeginSubscription(nowMs);
        _topicList = null;
        _pattern = regex;
        _subscriptionResolved = false;
        _metadataDueMs = nowMs;
        if (_metadata is { AllTopics: true } known) ResolvePattern(known);
    }

    private void BeginSubscription(long nowMs)
    {
        ThrowIfClosing();
        if (_fatal is not null) throw _fatal;
        bool wasOut = _leaving || State == MembershipState.Unsubscribed;
        _leaving = false;
        if (wasOut)
        {
            if (State == MembershipState.Unsubscribed) _lastPollMs = nowMs;
            State = MembershipState.PreparingRebalance;
            RequestRejoin("joining the group");
        }
    }

    /// <summary>Drops the subscription: the consumer revokes what it holds, then a dynamic member leaves the group.</summary>
    public void Unsubscribe(long nowMs)
    {
        ThrowIfClosing();
        if (!Subscribed && State == MembershipState.Unsubscribed) return;
        _topicList = null;
        _pattern = null;
        _subscription = new SortedSet<string>(StringComparer.Ordinal);
        _subscriptionResolved = false;
        _leaving = true;
        _rejoinNeeded = false;
        AbandonRebalanceCall();
        AdvanceSteps(nowMs);
    }

    /// <summary>
    /// Starts closing: the next steps revoke (or, after a reset, lose) everything held; then a
    /// dynamic member sends LeaveGroup (KIP-345: a static member does not, so it can come back
    /// without a rebalance); then <see cref="State"/> is Closed.
    /// </summary>
    public void Close(long nowMs)
    {
        if (_closing) return;
        _closing = true;
        _leaving = true;
        _rejoinNeeded = false;
        AbandonRebalanceCall();
        AdvanceSteps(nowMs);
    }

    private void ThrowIfClosing()
    {
        if (_closing) throw new InvalidOperationException("the consumer is closing");
    }

    /// <summary>
    /// The consumer's poll (every Consume): restarts the max.poll.interval.ms timer, rejoins after a
    /// poll timeout made the member leave, throws an error the membership has to surface, and
    /// returns the next rebalance step to carry out (the same one until it is completed), or null.
    /// </summary>
    public RebalanceStep? Poll(long nowMs)
    {
        _lastPollMs = nowMs;
        if (_fatal is not null && !_closing) throw _fatal;
        if (_leftForPollTimeout && !_leaving)
        {
            _leftForPollTimeout = false;
            State = MembershipState.PreparingRebalance;
            RequestRejoin("polled again after leaving for a poll timeout");
            // As librdkafka: the application hears it was too slow (its partitions come back as lost next).
            _errors.Enqueue(new KafkaException(new Error(ErrorCode.Local_MaxPollExceeded,
                $"group {_settings.GroupId}: the application did not poll within max.poll.interval.ms ({_settings.MaxPollInterval.TotalMilliseconds} ms), so the member left the group; it rejoins now")));
        }
        AdvanceSteps(nowMs);
        if (_errors.TryDequeue(out var error)) throw error;
        if (_issuedStep is null && _pendingSteps.TryDequeue(out var next)) _issuedStep = next;
        return _issuedStep;
    }

    /// <summary>The consumer has carried out <paramref name="step"/>; the membership goes on (e.g. sends its JoinGroup).</summary>
    public void Complete(RebalanceStep step, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(step);
        if (!ReferenceEquals(step, _issuedStep)) throw new InvalidOperationException($"step {step} was not the one handed out");
        _issuedStep = null;
        if (step.Kind == RebalanceStepKind.Assign) _owned.UnionWith(step.Partitions);
        else _owned.ExceptWith(step.Partitions);
        AdvanceSteps(nowMs);
    }

    /// <summary>
    /// Queues the steps that must happen before anything else: everything given up before leaving,
    /// or before a rejoin what the protocol requires (all for eager, unsubscribed topics for
    /// cooperative, all as lost after a reset). Nothing while earlier steps are outstanding.
    /// </summary>
    private void AdvanceSteps(long nowMs)
    {
        if (StepsOutstanding) return;
        if (_leaving)
        {
            if (_owned.Count > 0) Enqueue(HasGeneration && _fatal is null ? RebalanceStepKind.Revoke : RebalanceStepKind.Lost, _owned);
            else if (_pendingLeave is null) StartLeave(nowMs);
            return;
        }
        if (!_rejoinNeeded || _leftForPollTimeout || !_subscriptionResolved || State is not (MembershipState.PreparingRebalance or MembershipState.Stable)) return;
        if (_owned.Count == 0) return;
        if (!HasGeneration) Enqueue(RebalanceStepKind.Lost, _owned);
        else if (_protocol == RebalanceProtocol.Eager) Enqueue(RebalanceStepKind.Revoke, _owned);
        else
        {
            var gone = _owned.Where(tp => !_subscription.Contains(tp.Topic)).ToList();
            if (gone.Count > 0) Enqueue(RebalanceStepKind.Revoke, gone);
        }
    }

    private void Enqueue(RebalanceStepKind kind, IEnumerable<TopicPartition> partitions)
    {
        var sorted = partitions.ToList();
        sorted.Sort();
        _pendingSteps.Enqueue(new RebalanceStep(kind, sorted, GenerationId));
    }

    /// <summary>
    /// After the last revocation of an unsubscribe or close: forget the generation and, for a
    /// dynamic member the coordinator knows, queue a LeaveGroup.
    /// </summary>
    private void StartLeave(long nowMs)
    {
        string reason = _closing ? "the consumer is being closed" : "the consumer unsubscribed from all topics";
        if (!IsStatic && MemberId.Length > 0 && _coordinator is not null && _fatal is null)
            _pendingLeave = (MemberId, reason);
        ResetGeneration();
        if (_pendingLeave is null) FinishLeaving();
        _ = nowMs;
    }

    private void FinishLeaving()
    {
        _pendingLeave = null;
        if (_closing)
        {
            State = MembershipState.Closed;
            _leaving = false;
        }
        else if (_leaving)
        {
            State = MembershipState.Unsubscribed;
            _leaving = false;
        }
    }

    /// <summary>Asks for a rebalance; the JoinGroup goes out once the steps before it are done.</summary>
    private void RequestRejoin(string reason)
    {
        if (_leaving) return;
        if (!_rejoinNeeded) _rejoinReason = reason;
        _rejoinNeeded = true;
    }

    /// <summary>Forgets the member id and generation (never the static instance id): the next join starts afresh.</summary>
    private void ResetGeneration()
    {
        MemberId = "";
        GenerationId = -1;
        LeaderId = null;
        ProtocolName = null;
        _groupMembers = null;
        _assignedWith = null;
        _syncAssignments = null;
        if (State is MembershipState.Stable or MembershipState.CompletingRebalance) State = MembershipState.PreparingRebalance;
    }

    private void ResetGenerationAndRejoin(string reason)
    {
        ResetGeneration();
        if (State != MembershipState.Unsubscribed && State != MembershipState.Closed) State = MembershipState.PreparingRebalance;
        RequestRejoin(reason);
    }

    /// <summary>Queues an error for the consumer's next poll; one per code at a time, so a retry loop cannot pile them up.</summary>
    private void Surface(WireErrorCode code, string reason)
    {
        var clientCode = code.ToClientErrorCode();
        if (_errors.Any(e => e.Error.Code == clientCode)) return;
        _errors.Enqueue(new KafkaException(new Error(clientCode, $"group {_settings.GroupId}: {reason}")));
    }

    private void Fail(WireErrorCode code, string reason)
    {
        _fatal ??= new KafkaException(new Error(code.ToClientErrorCode(), $"group {_settings.GroupId}: {reason}", isFatal: true));
        State = MembershipState.Failed;
        _rejoinNeeded = false;
        _coordinatorCall = null;
        _metadataCall = null;
    }
}
