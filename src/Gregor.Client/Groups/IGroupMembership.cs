using Gregor.Client.Consumer;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Groups;

/// <summary>
/// The seam between the consumer and its group membership (Subscribe → membership → assignment).
///
/// The consumer owns its thread; the membership owns a background loop that talks to the
/// coordinator (FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup) so that heartbeats go
/// on while the application is busy, up to max.poll.interval.ms. They meet here:
///
/// <code>
/// // Subscribe / Unsubscribe: hand over to the membership.
/// membership.Subscribe(topics);                       // or Subscribe(regex), Unsubscribe()
///
/// // At every Consume(), before returning records ("poll": restarts max.poll.interval.ms):
/// while (membership.Poll() is { } step)               // may throw: a surfaced group error, or a fatal one
/// {
///     switch (step.Kind)
///     {
///         case RebalanceStepKind.Revoke: /* revoked handler; commit if auto-commit; IncrementalUnassign */ break;
///         case RebalanceStepKind.Lost:   /* lost handler (no commit); IncrementalUnassign */ break;
///         case RebalanceStepKind.Assign: /* IncrementalAssign; fetch committed offsets; assigned handler */ break;
///     }
///     membership.Complete(step);                      // the membership goes on (e.g. sends its JoinGroup)
/// }
///
/// // Commits (auto or explicit) say who they come from, and report a refusal back:
/// var who = membership.GetCommitIdentity();           // generation, member id, group.instance.id; throws if in no generation
/// ... OffsetCommit with who ...
/// if (membership.OnCommitError(code, who) is { } e) throw e;   // REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID...
///
/// // Close: revoke (handlers, final commit), then leave (dynamic members only).
/// membership.BeginClose();
/// while (membership.Poll() is { } step) { /* as above */ membership.Complete(step); }
/// await membership.CloseAsync(timeout);
/// </code>
///
/// Steps come one at a time and in order; Poll returns the same step until it is completed. An
/// Assign step of a cooperative rebalance holds only the partitions added, a Revoke step only
/// those taken away; an eager rebalance revokes everything before rejoining and assigns the whole
/// new assignment. Every member of a completed generation gets an Assign step, possibly empty.
/// </summary>
internal interface IGroupMembership : IAsyncDisposable
{
    string GroupId { get; }

    /// <summary>The member id ("" until the coordinator gives one).</summary>
    string MemberId { get; }

    int GenerationId { get; }

    MembershipState State { get; }

    /// <summary>The partitions the consumer holds according to the steps it has completed.</summary>
    IReadOnlyCollection<TopicPartition> Assignment { get; }

    void Subscribe(IEnumerable<string> topics);

    /// <summary>Subscribes to every topic whose whole name matches the regex (internal topics excluded by default).</summary>
    void Subscribe(string pattern);

    void Unsubscribe();

    /// <summary>Called at every Consume: the next step to carry out, or null. Throws group errors the consumer must surface.</summary>
    RebalanceStep? Poll();

    void Complete(RebalanceStep step);

    /// <summary>The generation id, member id and group.instance.id a commit must carry.</summary>
    GroupMemberIdentity GetCommitIdentity();

    /// <summary>
    /// Tells the membership how the coordinator answered a commit made with <paramref name="used"/>;
    /// returns the error to surface (a CommitFailed-style KafkaException) or null.
    /// </summary>
    KafkaException? OnCommitError(WireErrorCode code, GroupMemberIdentity used);

    /// <summary>Starts closing: the following Poll calls return the final revocation.</summary>
    void BeginClose();

    /// <summary>Waits for the LeaveGroup (dynamic members) within <paramref name="timeout"/>, then stops the background loop.</summary>
    Task CloseAsync(TimeSpan timeout);
}
