using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Tests.Network;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gregor.Broker.Tests.ControlPlane;

public sealed class ControllerChoresTests
{
    [Fact]
    public void The_active_controller_checks_sessions_and_rebalances_leaders_every_leader_imbalance_check_interval()
    {
        var config = BrokerConfigParser.Parse(new Dictionary<string, string> { ["leader.imbalance.check.interval.seconds"] = "30" });

        var chores = ControllerQuorumHost.ActiveControllerChores(Controller(), config, TimeProvider.System, NullLogger.Instance);

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)], chores.Select(c => c.Period));
        Assert.Equal(10, config.LeaderBalance.PerBrokerPercentage);
    }

    [Fact]
    public void With_auto_leader_rebalance_off_only_sessions_are_checked()
    {
        var config = BrokerConfigParser.Parse(new Dictionary<string, string> { ["auto.leader.rebalance.enable"] = "false" });

        var chores = ControllerQuorumHost.ActiveControllerChores(Controller(), config, TimeProvider.System, NullLogger.Instance);

        Assert.Equal("Broker session check", Assert.Single(chores).Name);
    }

    [Theory]
    [InlineData("leader.imbalance.per.broker.percentage", "101")]
    [InlineData("leader.imbalance.check.interval.seconds", "0")]
    [InlineData("auto.leader.rebalance.enable", "sometimes")]
    public void Out_of_range_rebalance_settings_are_refused(string name, string value) =>
        Assert.Throws<BrokerConfigException>(() => BrokerConfigParser.Parse(new Dictionary<string, string> { [name] = value }));

    [Fact]
    public async Task A_chore_runs_when_its_period_passes_on_the_injected_clock_and_not_after_it_stopped()
    {
        var clock = new ManualClock();
        int runs = 0;
        var chore = new ControllerPeriodicWork("test chore", TimeSpan.FromSeconds(5), _ => { Interlocked.Increment(ref runs); return Task.CompletedTask; },
            clock, NullLogger.Instance);

        chore.Start();
        Assert.True(await clock.WaitForTimerAsync(TimeSpan.FromSeconds(5)));
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, Volatile.Read(ref runs));
        clock.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => Volatile.Read(ref runs) == 1);
        await chore.StopAsync();
        clock.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(1, Volatile.Read(ref runs));
    }

    [Fact]
    public async Task A_failing_chore_is_logged_and_keeps_its_loop()
    {
        var clock = new ManualClock();
        int runs = 0;
        var chore = new ControllerPeriodicWork("failing chore", TimeSpan.FromSeconds(1), _ =>
        {
            Interlocked.Increment(ref runs);
            throw new InvalidOperationException("boom");
        }, clock, NullLogger.Instance);

        chore.Start();
        Assert.True(await clock.WaitForTimerAsync(TimeSpan.FromSeconds(1)));
        clock.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => Volatile.Read(ref runs) == 1);
        await chore.StopAsync(); // completes: the failure did not end the loop with an exception
    }

    private static QuorumController Controller() =>
        new(new MetadataPublisher(MetadataImage.Empty("", 1)), new ControllerSettings(1), TimeProvider.System, new Random(1));

    private static async Task WaitUntil(Func<bool> condition)
    {
        var patience = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(patience.Elapsed < TimeSpan.FromSeconds(10), "the chore did not run");
            await Task.Delay(5);
        }
    }
}
