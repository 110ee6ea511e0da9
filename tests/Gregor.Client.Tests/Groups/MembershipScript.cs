using Gregor.Client.Groups;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Groups;

/// <summary>
/// Drives a <see cref="GroupMembership"/> on a fake clock, playing the coordinator: each test takes
/// the calls the member wants to send and answers them with the responses a coordinator would give.
/// </summary>
internal sealed class MembershipScript
{
    public const string Group = "g";

    public MembershipScript(MembershipSettings? settings = null)
    {
        Settings = settings ?? new MembershipSettings { GroupId = Group };
        Member = new GroupMembership(Settings, Now);
    }

    public MembershipSettings Settings { get; }

    public GroupMembership Member { get; }

    public long Now { get; private set; } = 1_000;

    public static MembershipSettings Eager(string? instance = null) => new() { GroupId = Group, GroupInstanceId = instance, Assignors = [new RangeAssignor()] };

    public static MembershipSettings Cooperative() => new() { GroupId = Group, Assignors = [new CooperativeStickyAssignor()] };

    public void Advance(long ms) => Now += ms;

    public IReadOnlyList<GroupCall> Calls() => Member.NextRequests(Now);

    /// <summary>The one call the member wants to send now, of the expected kind.</summary>
    public T Next<T>() where T : GroupCall
    {
        var calls = Calls();
        Assert.True(calls.Count == 1, $"expected one {typeof(T).Name}, got [{string.Join(", ", calls.Select(c => c.GetType().Name))}]");
        return Assert.IsType<T>(calls[0]);
    }

    public void NothingToSend()
    {
        var calls = Calls();
        Assert.True(calls.Count == 0, $"expected nothing to send, got [{string.Join(", ", calls.Select(c => c.GetType().Name))}]");
    }

    public void FindCoordinator()
    {
        var call = Next<FindCoordinatorCall>();
        Member.OnFindCoordinator(call, new FindCoordinatorResponse
        {
            Coordinators = [new FindCoordinatorResponse.Coordinator { Key = Group, NodeId = 1, Host = "127.0.0.1", Port = 9092 }],
        }, Now);
    }

    public static JoinGroupResponse Joined(string memberId, int generation, string leader, string protocol = "range", params (string Id, byte[] Metadata)[] members) => new()
    {
        GenerationId = generation,
        ProtocolType = GroupMembership.ProtocolType,
        ProtocolName = protocol,
        Leader = leader,
        MemberId = memberId,
        Members = [.. members.Select(m => new JoinGroupResponse.JoinGroupResponseMember { MemberId = m.Id, Metadata = m.Metadata })],
    };

    public static byte[] SubscriptionOf(params string[] topics) => ConsumerProtocolCodec.Write(new ConsumerProtocolSubscription { Topics = [.. topics] });

    public static byte[] SubscriptionOf(string[] topics, int generation, params TopicPartition[] owned) => ConsumerProtocolCodec.Write(new ConsumerProtocolSubscription
    {
        Topics = [.. topics],
        OwnedPartitions = ConsumerProtocolCodec.ToOwned(owned),
        GenerationId = generation,
    });

    public static SyncGroupResponse Synced(params TopicPartition[] partitions) => new()
    {
        ProtocolType = GroupMembership.ProtocolType,
        Assignment = ConsumerProtocolCodec.Write(ConsumerProtocolCodec.ToAssignment(partitions)),
    };

    public static HeartbeatResponse Beat(WireErrorCode error = WireErrorCode.None) => new() { ErrorCode = (short)error };

    /// <summary>Subscribes to <paramref name="topics"/> and joins as a follower of "leader", ending Stable with <paramref name="assigned"/> applied.</summary>
    public void JoinAsFollower(string memberId, int generation, string[] topics, params TopicPartition[] assigned)
    {
        Member.Subscribe(topics, Now);
        FindCoordinator();
        var join = Next<JoinGroupCall>();
        Member.OnJoinGroup(join, Joined(memberId, generation, "leader", Settings.Assignors[0].Name), Now);
        var sync = Next<SyncGroupCall>();
        Member.OnSyncGroup(sync, Synced(assigned), Now);
        CompleteSteps();
    }

    /// <summary>Polls and completes steps until none is left; returns them.</summary>
    public List<RebalanceStep> CompleteSteps()
    {
        var done = new List<RebalanceStep>();
        while (Member.Poll(Now) is { } step)
        {
            done.Add(step);
            Member.Complete(step, Now);
        }
        return done;
    }

    public static TopicPartition P(string topic, int partition) => new(topic, partition);

    public static ConsumerProtocolSubscription SubscriptionIn(JoinGroupCall call, string protocol = "range") =>
        ConsumerProtocolCodec.ReadSubscription(call.Request.Protocols.Single(p => p.Name == protocol).Metadata);

    public static string Show(RebalanceStep step) => step.Kind + " " + AssignorVectorTests.Show(step.Partitions);
}
