namespace Gregor.Storage.Tests;

/// <summary>The leader-epoch cache's rules, as Kafka's LeaderEpochFileCache applies them.</summary>
public sealed class LeaderEpochCacheTests
{
    private static LeaderEpochCache Cache(params (int Epoch, long Start)[] entries)
    {
        var cache = new LeaderEpochCache([]);
        foreach ((int epoch, long start) in entries)
            Assert.True(cache.Assign(epoch, start));
        return cache;
    }

    private static (int, long)[] Of(LeaderEpochCache cache) => [.. cache.Entries.Select(e => (e.Epoch, e.StartOffset))];

    [Fact]
    public void End_offset_of_an_epoch_follows_kafkas_cases()
    {
        LeaderEpochCache cache = Cache((2, 10), (4, 30), (7, 50));
        const long leo = 80;

        // The latest epoch ends at the log end offset.
        Assert.Equal(new EpochEndOffset(7, leo), cache.EndOffsetFor(7, leo));
        // An epoch with an entry ends where the next one starts.
        Assert.Equal(new EpochEndOffset(2, 30), cache.EndOffsetFor(2, leo));
        Assert.Equal(new EpochEndOffset(4, 50), cache.EndOffsetFor(4, leo));
        // An epoch between entries answers the largest epoch below it and the next start.
        Assert.Equal(new EpochEndOffset(2, 30), cache.EndOffsetFor(3, leo));
        Assert.Equal(new EpochEndOffset(4, 50), cache.EndOffsetFor(6, leo));
        // Below every entry: the requested epoch itself, ending where the first known epoch starts.
        Assert.Equal(new EpochEndOffset(1, 10), cache.EndOffsetFor(1, leo));
        Assert.Equal(new EpochEndOffset(0, 10), cache.EndOffsetFor(0, leo));
        // Above every entry, or undefined: nothing known.
        Assert.Equal(EpochEndOffset.Undefined, cache.EndOffsetFor(8, leo));
        Assert.Equal(EpochEndOffset.Undefined, cache.EndOffsetFor(-1, leo));
        Assert.Equal(EpochEndOffset.Undefined, new LeaderEpochCache([]).EndOffsetFor(0, leo));
    }

    [Fact]
    public void Assign_ignores_the_latest_epoch_again_and_replaces_entries_that_would_break_the_order()
    {
        LeaderEpochCache cache = Cache((1, 0), (3, 20));
        Assert.False(cache.Assign(3, 20));
        Assert.False(cache.Assign(3, 25));
        Assert.Equal([(1, 0L), (3, 20L)], Of(cache));

        // The latest epoch at an earlier offset moves back.
        Assert.True(cache.Assign(3, 15));
        Assert.Equal([(1, 0L), (3, 15L)], Of(cache));

        // A newer epoch starting before the latest entry drops what starts at or after it.
        Assert.True(cache.Assign(5, 10));
        Assert.Equal([(1, 0L), (5, 10L)], Of(cache));

        // An older epoch drops every entry at or above it.
        Assert.True(cache.Assign(2, 12));
        Assert.Equal([(1, 0L), (2, 12L)], Of(cache));

        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Assign(-1, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Assign(4, -5));
    }

    [Fact]
    public void Truncating_from_the_end_drops_entries_starting_at_or_after_the_end()
    {
        LeaderEpochCache cache = Cache((1, 0), (3, 20), (4, 40));
        Assert.False(cache.TruncateFromEnd(41));
        Assert.True(cache.TruncateFromEnd(40));
        Assert.Equal([(1, 0L), (3, 20L)], Of(cache));
        Assert.True(cache.TruncateFromEnd(5));
        Assert.Equal([(1, 0L)], Of(cache));
        Assert.True(cache.TruncateFromEnd(0));
        Assert.Empty(cache.Entries);
        Assert.Equal(-1, cache.LatestEpoch);
    }

    [Fact]
    public void Truncating_from_the_start_keeps_the_entry_covering_the_new_start_and_moves_it_there()
    {
        LeaderEpochCache cache = Cache((1, 0), (3, 20), (4, 40));
        Assert.False(cache.TruncateFromStart(0));
        Assert.True(cache.TruncateFromStart(25));
        Assert.Equal([(3, 25L), (4, 40L)], Of(cache));
        Assert.True(cache.TruncateFromStart(40));
        Assert.Equal([(4, 40L)], Of(cache));
        Assert.False(cache.TruncateFromStart(40));
        Assert.True(cache.TruncateFromStart(100));
        Assert.Equal([(4, 100L)], Of(cache));
        // The epoch of an offset is that of the entry covering it.
        Assert.Equal(4, cache.EpochForOffset(150));
        Assert.Equal(-1, cache.EpochForOffset(99));
    }

    [Fact]
    public void Epoch_of_an_offset_is_the_last_entry_starting_at_or_before_it()
    {
        LeaderEpochCache cache = Cache((1, 5), (3, 20));
        Assert.Equal(-1, cache.EpochForOffset(4));
        Assert.Equal(1, cache.EpochForOffset(5));
        Assert.Equal(1, cache.EpochForOffset(19));
        Assert.Equal(3, cache.EpochForOffset(20));
        Assert.Equal(3, cache.EpochForOffset(1_000));
    }
}
