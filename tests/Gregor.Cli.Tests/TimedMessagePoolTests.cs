using Gregor.Cli.Perf;

namespace Gregor.Cli.Tests;

public sealed class TimedMessagePoolTests
{
    [Fact]
    public void Messages_given_back_on_many_threads_are_rented_again_each_once_and_reset()
    {
        var pool = new TimedMessagePool();
        byte[] payload = [1, 2, 3];
        var first = Enumerable.Range(0, 10_000).Select(_ => pool.Rent(payload)).ToArray();
        Assert.Equal(first.Length, first.Distinct().Count());
        foreach (var m in first) m.Timestamp = new Gregor.Client.Timestamp(5, Gregor.Client.TimestampType.CreateTime);

        Parallel.ForEach(first, new ParallelOptions { MaxDegreeOfParallelism = 4 }, pool.Return);

        var again = Enumerable.Range(0, first.Length).Select(_ => pool.Rent(payload)).ToArray();
        // Every message came back exactly once, none was lost or handed out twice, and none is new.
        Assert.Equal(first.ToHashSet(), again.ToHashSet());
        Assert.Equal(again.Length, again.Distinct().Count());
        Assert.All(again, m => Assert.Equal(default, m.Timestamp));
        Assert.All(again, m => Assert.Null(m.Next));
        // With all of them out, the next rent is a new message.
        Assert.DoesNotContain(pool.Rent(payload), first);
    }
}
