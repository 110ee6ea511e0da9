namespace Gregor.Client.Tests;

public sealed class TypesTests
{
    [Fact]
    public void Logical_offsets_have_librdkafkas_values()
    {
        Assert.Equal(-2, Offset.Beginning.Value);
        Assert.Equal(-1, Offset.End.Value);
        Assert.Equal(-1000, Offset.Stored.Value);
        Assert.Equal(-1001, Offset.Unset.Value);
        Assert.True(Offset.End.IsSpecial);
        Assert.False(new Offset(0).IsSpecial);
        Assert.Equal(-1, Partition.Any.Value);
    }

    [Fact]
    public void Topic_partitions_compare_by_value()
    {
        Assert.Equal(new TopicPartition("t", 1), new TopicPartition("t", 1));
        Assert.NotEqual(new TopicPartition("t", 1), new TopicPartition("t", 2));
        Assert.True(new TopicPartition("a", 9).CompareTo(new TopicPartition("b", 0)) < 0);
        Assert.Equal(new TopicPartitionOffset("t", 0, 5), new TopicPartitionOffset(new TopicPartition("t", 0), 5));
    }

    [Fact]
    public void Headers_keep_order_and_repeats_and_return_the_last()
    {
        var headers = new Headers { { "a", [1] }, { "b", null }, { "a", [2] } };
        Assert.Equal(3, headers.Count);
        Assert.Equal(new byte[] { 2 }, headers.GetLastBytes("a"));
        Assert.True(headers.TryGetLastBytes("b", out byte[]? b));
        Assert.Null(b);
        Assert.Throws<KeyNotFoundException>(() => headers.GetLastBytes("c"));
        headers.Remove("a");
        Assert.Single(headers);
    }

    [Fact]
    public void Timestamp_converts_to_and_from_utc()
    {
        var ts = new Timestamp(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        Assert.Equal(1704164645000, ts.UnixTimestampMs);
        Assert.Equal(TimestampType.CreateTime, ts.Type);
        Assert.Equal(new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Utc), ts.UtcDateTime);
    }
}
