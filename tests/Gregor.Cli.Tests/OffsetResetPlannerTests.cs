using Gregor.Cli.Commands;

namespace Gregor.Cli.Tests;

public sealed class OffsetResetPlannerTests
{
    // A partition whose log holds offsets 10..99 (log end 100), committed at 40; the record at some time is 70.
    private static readonly PartitionPosition Partition = new(Committed: 40, Earliest: 10, LogEnd: 100, AtTimestamp: 70);

    [Theory]
    [InlineData("ToEarliest", 0, 10)]
    [InlineData("ToLatest", 0, 100)]
    [InlineData("ToOffset", 55, 55)]
    [InlineData("ToOffset", 3, 10)] // below the log start: clamped up
    [InlineData("ToOffset", 500, 100)] // past the log end: clamped down
    [InlineData("ShiftBy", 5, 45)]
    [InlineData("ShiftBy", -35, 10)]
    [InlineData("ShiftBy", 1000, 100)]
    [InlineData("ShiftBy", long.MaxValue, 100)] // no overflow
    [InlineData("ShiftBy", long.MinValue, 10)]
    [InlineData("ToDatetime", 123, 70)]
    public void Each_target_lands_where_kafka_puts_it(string kind, long value, long expected)
    {
        var target = new ResetTarget(Enum.Parse<ResetKind>(kind), value);
        Assert.Equal(expected, OffsetResetPlanner.NewOffset(target, Partition, out string? why));
        Assert.Null(why);
    }

    [Fact]
    public void A_time_after_the_last_record_goes_to_the_log_end_and_a_shift_needs_a_committed_offset()
    {
        Assert.Equal(100, OffsetResetPlanner.NewOffset(new ResetTarget(ResetKind.ToDatetime, 1), Partition with { AtTimestamp = null }, out _));
        Assert.Null(OffsetResetPlanner.NewOffset(new ResetTarget(ResetKind.ShiftBy, 1), Partition with { Committed = null }, out string? why));
        Assert.Contains("no committed offset", why, StringComparison.Ordinal);
        // Without a committed offset the other targets still work.
        Assert.Equal(10, OffsetResetPlanner.NewOffset(new ResetTarget(ResetKind.ToEarliest, 0), Partition with { Committed = null }, out _));
    }
}
