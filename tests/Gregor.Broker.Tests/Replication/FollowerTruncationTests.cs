using Gregor.Broker.Replication.Fetching;

namespace Gregor.Broker.Tests.Replication;

/// <summary>The follower's truncation rule (KIP-101/279) against a fake of its own leader epochs.</summary>
public sealed class FollowerTruncationTests
{
    /// <summary>A follower log whose epochs start at the given offsets and that ends at <paramref name="logEnd"/>.</summary>
    private static Func<int, (int, long)> Epochs(long logEnd, params (int Epoch, long Start)[] epochs) => asked =>
    {
        for (int i = epochs.Length - 1; i >= 0; i--)
        {
            if (epochs[i].Epoch <= asked)
                return (epochs[i].Epoch, i == epochs.Length - 1 ? logEnd : epochs[i + 1].Start);
        }
        return (-1, -1);
    };

    [Fact]
    public void A_follower_with_the_leaders_epoch_keeps_what_both_logs_hold_of_it()
    {
        // Follower: epoch 1 from 0, epoch 2 from 50, ends at 80. Leader: epoch 2 ends at 60 in its log.
        var decision = FollowerTruncation.Decide(2, 60, 80, 40, Epochs(80, (1, 0), (2, 50)));
        Assert.Equal(new TruncationDecision(60, true), decision);
        // The leader has more of epoch 2 than the follower: nothing to cut.
        Assert.Equal(new TruncationDecision(80, true), FollowerTruncation.Decide(2, 95, 80, 40, Epochs(80, (1, 0), (2, 50))));
    }

    [Fact]
    public void A_follower_that_wrote_an_epoch_the_leader_never_had_cuts_back_to_the_last_shared_epoch()
    {
        // The follower led epoch 3 from offset 70 (never replicated); the new leader answers epoch 2 ends at 70.
        var epochs = Epochs(90, (1, 0), (2, 50), (3, 70));
        Assert.Equal(new TruncationDecision(70, true), FollowerTruncation.Decide(2, 70, 90, 60, epochs));
    }

    [Fact]
    public void A_follower_without_the_leaders_epoch_cuts_to_its_own_smaller_epochs_end_and_asks_again()
    {
        // The leader answers epoch 3 (ends 100); the follower has epochs 1 and 4 only: epoch 1 ends (in its log) at 40.
        var epochs = Epochs(120, (1, 0), (4, 40));
        Assert.Equal(new TruncationDecision(40, false), FollowerTruncation.Decide(3, 100, 120, 30, epochs));
    }

    [Fact]
    public void A_follower_knowing_no_epoch_as_old_takes_the_leaders_end_and_a_leader_knowing_none_means_the_high_watermark()
    {
        var epochs = Epochs(30, (5, 0));
        Assert.Equal(new TruncationDecision(20, true), FollowerTruncation.Decide(2, 20, 30, 10, epochs));
        Assert.Equal(new TruncationDecision(30, true), FollowerTruncation.Decide(2, 45, 30, 10, epochs));
        Assert.Equal(new TruncationDecision(10, true), FollowerTruncation.Decide(-1, -1, 30, 10, epochs));
        Assert.Equal(new TruncationDecision(25, true), FollowerTruncation.Decide(-1, 25, 30, 10, epochs));
    }
}
