namespace Gregor.Storage.Tests;

public sealed class LeaderEpochCheckpointTests
{
    [Fact]
    public void The_file_is_kafkas_text_format_and_reads_back()
    {
        using var dir = new TempLogDirectory();
        LeaderEpochEntry[] entries = [new(0, 0), new(3, 120), new(int.MaxValue, long.MaxValue)];

        LeaderEpochCheckpoint.Write(dir.Path, entries);

        Assert.Equal("0\n3\n0 0\n3 120\n2147483647 9223372036854775807\n", File.ReadAllText(dir.File("leader-epoch-checkpoint")));
        Assert.DoesNotContain(LeaderEpochCheckpoint.TemporaryName, dir.FileNames());
        Assert.True(LeaderEpochCheckpoint.TryRead(dir.Path, out LeaderEpochEntry[] read, out string? problem));
        Assert.Null(problem);
        Assert.Equal(entries, read);

        LeaderEpochCheckpoint.Write(dir.Path, []);
        Assert.Equal("0\n0\n", File.ReadAllText(dir.File("leader-epoch-checkpoint")));
        Assert.True(LeaderEpochCheckpoint.TryRead(dir.Path, out read, out _));
        Assert.Empty(read);
    }

    [Fact]
    public void A_missing_file_is_no_problem_and_a_malformed_one_says_why()
    {
        using var dir = new TempLogDirectory();
        Assert.False(LeaderEpochCheckpoint.TryRead(dir.Path, out _, out string? problem));
        Assert.Null(problem);

        foreach (string text in (string[])[
            "", "1\n0\n", "0\n", "0\n2\n1 0\n", "0\n1\n1 0\n2 5\n", "0\n1\n-1 0\n", "0\n1\n1 -4\n", "0\n1\n1\n", "0\n1\n1 x\n",
            "0\n1\n 1 0\n", "0\n999999999999\n", $"0\n{LeaderEpochCheckpoint.MaxEntries + 1}\n"])
        {
            File.WriteAllText(dir.File("leader-epoch-checkpoint"), text);
            Assert.False(LeaderEpochCheckpoint.TryRead(dir.Path, out LeaderEpochEntry[] entries, out problem), text);
            Assert.NotNull(problem);
            Assert.Empty(entries);
        }
    }

    [Fact]
    public void A_file_too_large_for_the_entry_limit_is_refused_before_it_is_read()
    {
        using var dir = new TempLogDirectory();
        using (var file = new FileStream(dir.File("leader-epoch-checkpoint"), FileMode.Create))
            file.SetLength(64L * 1024 * 1024);
        Assert.False(LeaderEpochCheckpoint.TryRead(dir.Path, out _, out string? problem));
        Assert.Contains("bytes", problem, StringComparison.Ordinal);
    }
}
