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
}
