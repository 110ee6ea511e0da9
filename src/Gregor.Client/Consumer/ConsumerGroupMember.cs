using System.Runtime.ExceptionServices;
using System.Text.RegularExpressions;
using Gregor.Client.Groups;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Consumer;

/// <summary>
/// The consumer as a member of its group. Subscribe and Unsubscribe go to the group membership (whose background
/// loop joins, heartbeats and leaves); the membership's rebalance steps are carried out on the thread calling
/// Consume, where the application's handlers run: Assign takes partitions on (at the handler's offsets, else the
/// committed ones, else auto.offset.reset), Revoke runs the handler, commits what auto-commit would and gives the
/// partitions up, Lost runs the handler and gives them up without a commit. Commits carry the member's identity.
/// </summary>
internal sealed class ConsumerGroupMember : IGroupMemberIdentityProvider
{
    /// <summary>Close and Unsubscribe carry out at most this many steps themselves (a few suffice: assign, revoke).</summary>
    private const int MaxStepsWhenLeaving = 64;

    private readonly ConsumerCore _core;
    private readonly GroupMembershipDriver _membership;
    private readonly RebalanceHandlers _handlers;
    private readonly TimeSpan _pollEvery;
    private readonly object _subscriptionLock = new();
    private List<string> _subscription = [];
    private int _workWaiting = 1;
    private long _lastPoll;
    private long? _closeStarted;
    private TimeSpan _closeTimeout;

    public ConsumerGroupMember(ConsumerCore core, MembershipSettings settings, RebalanceHandlers handlers)
    {
        _core = core;
        _handlers = handlers;
        // The membership's poll timer needs a poll far more often than max.poll.interval.ms; every pass would cost a
        // lock and a wake-up of its loop per record, so passes in between only look whether a step is waiting.
        _pollEvery = TimeSpan.FromMilliseconds(Math.Clamp(settings.MaxPollInterval.TotalMilliseconds / 4, 1, 100));
        _membership = new GroupMembershipDriver(settings, core.Metadata) { ConsumerWork = OnMembershipWork };
        core.Identity = this;
        core.ConsumeHook = OnConsumePass;
        core.AbandonOnDispose = true;
    }

    public string MemberId => _membership.MemberId;

    /// <summary>The generation of the rebalance step being carried out (-1 outside one or without a generation).</summary>
    public int StepGeneration { get; private set; } = -1;

    /// <summary>The membership, for tests that look at its state.</summary>
    internal GroupMembershipDriver Membership => _membership;

    /// <summary>Topics and patterns as the application subscribed them; empty when not subscribed.</summary>
    public List<string> Subscription
    {
        get { lock (_subscriptionLock) return [.. _subscription]; }
    }

    /// <summary>Subscribed, or still holding partitions from the membership (an Unsubscribe not carried out yet).</summary>
    public bool OwnsAssignment
    {
        get
        {
            lock (_subscriptionLock) if (_subscription.Count > 0) return true;
            return _membership.Assignment.Count > 0;
        }
    }

    /// <summary>How long Consume may wait between passes, so that the membership hears of a poll in time.</summary>
    public TimeSpan LongestWait => _pollEvery * 5;

    /// <summary>
    /// Subscribes to the topics; a name starting with '^' is a regular expression (librdkafka's convention),
    /// matched anywhere in a topic's name as librdkafka does (anchor it with ^ and $ to match whole names).
    /// </summary>
    public void Subscribe(IReadOnlyList<string> topics)
    {
        var names = topics.Where(t => !t.StartsWith('^')).ToList();
        var patterns = topics.Where(t => t.StartsWith('^')).ToList();
        if (patterns.Count == 0) _membership.Subscribe(names);
        else _membership.Subscribe(CombinedPattern(names, patterns));
        lock (_subscriptionLock) _subscription = [.. topics];
        OnMembershipWork();
    }

    /// <summary>
    /// One pattern the membership matches against whole names: each regex may match anywhere in a name
    /// (librdkafka searches), each plain name must be the whole name.
    /// </summary>
    private static string CombinedPattern(List<string> names, List<string> patterns)
    {
        var alternatives = new List<string>(names.Count + patterns.Count);
        foreach (string pattern in patterns)
        {
            try
            {
                _ = new Regex(pattern, RegexOptions.CultureInvariant);
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"'{pattern}' is not a valid regular expression: {e.Message}", nameof(patterns), e);
            }
            alternatives.Add(".*(?:" + pattern + ").*");
        }
        alternatives.AddRange(names.Select(Regex.Escape));
        return string.Join('|', alternatives);
    }

    /// <summary>
    /// Drops the subscription: the partitions are revoked (handler, commit) and a dynamic member leaves the group.
    /// Carried out here unless another thread is inside Consume, which then does it.
    /// </summary>
    public void Unsubscribe()
    {
        _membership.Unsubscribe();
        lock (_subscriptionLock) _subscription = [];
        OnMembershipWork();
        if (_core.OnConsumeThread || !_core.TryEnterConsume()) return;
        Exception? failure;
        try
        {
            failure = CarryOutQuietly();
        }
        finally
        {
            _core.ExitConsume();
        }
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
    }

    private void OnMembershipWork()
    {
        Volatile.Write(ref _workWaiting, 1);
        _core.WakeConsumer();
    }

    /// <summary>Every Consume pass: carries out waiting rebalance steps, and tells the membership the application polls.</summary>
    private void OnConsumePass()
    {
        long now = _core.Clock.GetTimestamp();
        if (Volatile.Read(ref _workWaiting) == 0 && _core.Clock.GetElapsedTime(_lastPoll, now) < _pollEvery) return;
        Volatile.Write(ref _workWaiting, 0);
        _lastPoll = now;
        while (true)
        {
            RebalanceStep? step;
            try
            {
                step = _membership.Poll();
            }
            catch (KafkaException e)
            {
                Volatile.Write(ref _workWaiting, 1); // there may be more behind it
                throw new ConsumeException(NoRecord, e.Error, e);
            }
            if (step is null) return;
            var failure = Carry(step);
            _membership.Complete(step);
            if (failure is not null)
            {
                Volatile.Write(ref _workWaiting, 1); // the steps after it wait for the next Consume
                ExceptionDispatchInfo.Throw(failure);
            }
        }
    }

    private static ConsumeResult<byte[], byte[]> NoRecord => new()
    {
        Topic = "",
        Partition = Partition.Any,
        Offset = Offset.Unset,
        Message = new Message<byte[], byte[]> { Key = null!, Value = null! },
    };

    /// <summary>Carries out one step; returns what a handler threw (the step is carried out all the same).</summary>
    private Exception? Carry(RebalanceStep step)
    {
        StepGeneration = step.GenerationId;
        try
        {
            return CarryOut(step);
        }
        finally
        {
            StepGeneration = -1;
        }
    }

    private Exception? CarryOut(RebalanceStep step)
    {
        switch (step.Kind)
        {
            case RebalanceStepKind.Assign:
                return Assign(step.Partitions);
            case RebalanceStepKind.Revoke:
                var revokeFailure = RunGivingUp(_handlers.Revoked, step.Partitions, "revoked");
                if (_core.Settings.EnableAutoCommit) _core.CommitAndRemove(step.Partitions, CommitTimeout);
                else _core.RemoveAssigned(step.Partitions);
                return revokeFailure;
            default:
                // The partitions may be someone else's already: no commit (Confluent.Kafka calls the revoked handler when there is no lost one).
                var lostFailure = RunGivingUp(_handlers.Lost ?? _handlers.Revoked, step.Partitions, _handlers.Lost is null ? "revoked" : "lost");
                _core.RemoveAssigned(step.Partitions);
                return lostFailure;
        }
    }

    private Exception? Assign(IReadOnlyList<TopicPartition> partitions)
    {
        var starts = partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Unset)).ToList();
        Exception? failure = null;
        if (_handlers.Assigned is { } handler)
        {
            try
            {
                if (handler([.. partitions]) is { } chosen) starts = SamePartitions(chosen, partitions);
            }
#pragma warning disable CA1031 // whatever the handler throws, the partitions are taken on and the exception surfaces from Consume
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
            }
        }
        _core.AddAssigned(starts);
        return failure;
    }

    /// <summary>The offsets an assigned handler chose, which must be for exactly the partitions it was given.</summary>
    private static List<TopicPartitionOffset> SamePartitions(IEnumerable<TopicPartitionOffset> chosen, IReadOnlyList<TopicPartition> given)
    {
        var list = chosen.ToList();
        if (list.Any(o => o is null) || list.Count != given.Count || !list.Select(o => o.TopicPartition).ToHashSet().SetEquals(given))
        {
            throw new InvalidOperationException(
                "the partitions assigned handler must return offsets for exactly the partitions it was given (the group decides the assignment)");
        }
        return list;
    }

    private Exception? RunGivingUp(Func<List<TopicPartitionOffset>, IEnumerable<TopicPartitionOffset>?>? handler, IReadOnlyList<TopicPartition> partitions, string which)
    {
        if (handler is null) return null;
        try
        {
            var returned = handler([.. partitions.Select(tp => new TopicPartitionOffset(tp, _core.PositionOrUnset(tp)))]);
            if (returned is not null && returned.Any())
                throw new InvalidOperationException($"the partitions {which} handler returned partitions to assign; under group membership the group decides the assignment, so it must return none");
            return null;
        }
#pragma warning disable CA1031 // whatever the handler throws, the partitions are given up and the exception surfaces from Consume
        catch (Exception e)
#pragma warning restore CA1031
        {
            return e;
        }
    }

    /// <summary>
    /// Close, on the closing thread (which holds the consume thread): the final revocation (handlers, commit),
    /// then LeaveGroup for a dynamic member, within <paramref name="timeout"/>. Returns what a handler threw.
    /// </summary>
    public Exception? Close(TimeSpan timeout)
    {
        _closeStarted = _core.Clock.GetTimestamp();
        _closeTimeout = timeout;
        _membership.BeginClose();
        var failure = CarryOutQuietly();
        _membership.CloseAsync(CommitTimeout).GetAwaiter().GetResult();
        return failure;
    }

    /// <summary>How long a revocation's commit may take: default.api.timeout.ms, or what is left of Close's time.</summary>
    private TimeSpan CommitTimeout
    {
        get
        {
            if (_closeStarted is not { } started) return _core.Settings.DefaultApiTimeout;
            var left = _closeTimeout - _core.Clock.GetElapsedTime(started);
            return left > TimeSpan.Zero ? left : TimeSpan.Zero;
        }
    }

    /// <summary>Dispose without Close: stops the membership without a LeaveGroup; the group notices at session.timeout.ms.</summary>
    public void Abandon() => _membership.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Carries out the steps of leaving (group errors are not the point now and are passed over).</summary>
    private Exception? CarryOutQuietly()
    {
        Exception? failure = null;
        for (int i = 0; i < MaxStepsWhenLeaving; i++)
        {
            RebalanceStep? step;
            try
            {
                step = _membership.Poll();
            }
            catch (KafkaException)
            {
                continue;
            }
            if (step is null) break;
            failure ??= Carry(step);
            _membership.Complete(step);
        }
        return failure;
    }

    /// <summary>Subscribed or still holding the group's partitions, commits carry the member's identity; otherwise the standalone one.</summary>
    private bool InGroup => OwnsAssignment;

    public GroupMemberIdentity Current => InGroup ? _membership.GetCommitIdentity() : GroupMemberIdentity.Standalone;

    public bool TryGetCurrent(out GroupMemberIdentity identity)
    {
        identity = GroupMemberIdentity.Standalone;
        if (!InGroup) return true;
        try
        {
            identity = _membership.GetCommitIdentity();
            return true;
        }
        catch (KafkaException)
        {
            return false;
        }
    }

    public KafkaException? OnCommitError(WireErrorCode code, GroupMemberIdentity used) =>
        used.GenerationId < 0 && used.MemberId.Length == 0 ? null : _membership.OnCommitError(code, used);
}
