using Gregor.Broker.Replication;
using Gregor.Broker.Tests.Network;

namespace Gregor.Broker.Tests.Replication;

public sealed class BrokerSessionLeaseTests
{
    private static readonly TimeSpan Session = TimeSpan.FromSeconds(3);

    [Fact]
    public void A_single_node_never_heard_from_a_controller_holds_its_lease()
    {
        var clock = new ManualClock();
        var lease = new BrokerSessionLease(clock);
        clock.Advance(TimeSpan.FromDays(3));
        Assert.False(lease.MayHaveLapsed);
    }

    [Fact]
    public void The_lease_runs_from_when_the_answered_heartbeat_was_sent_not_from_when_the_answer_came()
    {
        var clock = new ManualClock();
        var lease = new BrokerSessionLease(clock);
        long sent = clock.GetTimestamp();
        clock.Advance(TimeSpan.FromSeconds(1));
        lease.Renew(sent, Session);

        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(lease.MayHaveLapsed);
        // A pause (SIGSTOP, a long GC) past the session: the controller may have fenced this broker meanwhile.
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(lease.MayHaveLapsed);

        lease.Renew(clock.GetTimestamp(), Session);
        Assert.False(lease.MayHaveLapsed);
    }

    [Fact]
    public void An_older_heartbeats_late_answer_does_not_shorten_the_lease_and_fencing_ends_it_at_once()
    {
        var clock = new ManualClock();
        var lease = new BrokerSessionLease(clock);
        long older = clock.GetTimestamp();
        clock.Advance(TimeSpan.FromSeconds(2));
        lease.Renew(clock.GetTimestamp(), Session);
        lease.Renew(older, Session);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.False(lease.MayHaveLapsed);

        lease.Lapse();
        Assert.True(lease.MayHaveLapsed);
        lease.Renew(clock.GetTimestamp(), Session);
        Assert.False(lease.MayHaveLapsed);
    }

    [Fact]
    public void After_a_lapse_the_first_unfenced_answer_waits_for_a_second_before_renewing()
    {
        var clock = new ManualClock();
        var lease = new BrokerSessionLease(clock);
        Assert.False(lease.OnHeartbeatAnswer(clock.GetTimestamp(), lapsedWhenSent: false, fenced: false, Session));
        clock.Advance(TimeSpan.FromSeconds(10)); // paused past the session
        Assert.True(lease.MayHaveLapsed);

        // Perhaps this node's own stale controller answering: not trusted alone.
        Assert.True(lease.OnHeartbeatAnswer(clock.GetTimestamp(), lapsedWhenSent: true, fenced: false, Session));
        Assert.True(lease.MayHaveLapsed);
        clock.Advance(TimeSpan.FromMilliseconds(200));
        Assert.False(lease.OnHeartbeatAnswer(clock.GetTimestamp(), lapsedWhenSent: true, fenced: false, Session));
        Assert.False(lease.MayHaveLapsed);
    }

    [Fact]
    public void A_fenced_answer_after_the_first_unfenced_one_starts_the_confirmation_over()
    {
        var clock = new ManualClock();
        var lease = new BrokerSessionLease(clock);
        lease.Lapse();
        Assert.True(lease.OnHeartbeatAnswer(clock.GetTimestamp(), lapsedWhenSent: true, fenced: false, Session));
        Assert.False(lease.OnHeartbeatAnswer(clock.GetTimestamp(), lapsedWhenSent: true, fenced: true, Session));
        Assert.True(lease.MayHaveLapsed);
        Assert.True(lease.OnHeartbeatAnswer(clock.GetTimestamp(), lapsedWhenSent: true, fenced: false, Session));
        Assert.True(lease.MayHaveLapsed);
        Assert.False(lease.OnHeartbeatAnswer(clock.GetTimestamp(), lapsedWhenSent: true, fenced: false, Session));
        Assert.False(lease.MayHaveLapsed);
    }
}
