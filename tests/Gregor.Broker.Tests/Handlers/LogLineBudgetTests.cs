using Gregor.Broker.Handlers;

namespace Gregor.Broker.Tests.Handlers;

public sealed class LogLineBudgetTests
{
    [Fact]
    public void AllowsTheBudgetEachSecondAndReportsWhatItSuppressed()
    {
        var budget = new LogLineBudget(linesPerSecond: 2);
        Assert.True(budget.TryTake(5_000, out int suppressed));
        Assert.Equal(0, suppressed);
        Assert.True(budget.TryTake(5_100, out _));
        Assert.False(budget.TryTake(5_200, out _));
        Assert.False(budget.TryTake(5_999, out _));
        Assert.True(budget.TryTake(6_000, out suppressed));
        Assert.Equal(2, suppressed);
        Assert.True(budget.TryTake(6_001, out suppressed));
        Assert.Equal(0, suppressed);
    }

    [Fact]
    public void AClockGoingBackStartsANewWindow()
    {
        var budget = new LogLineBudget(linesPerSecond: 1);
        Assert.True(budget.TryTake(10_000, out _));
        Assert.False(budget.TryTake(10_500, out _));
        Assert.True(budget.TryTake(9_000, out int suppressed));
        Assert.Equal(1, suppressed);
        Assert.False(budget.TryTake(9_100, out _));
    }
}
