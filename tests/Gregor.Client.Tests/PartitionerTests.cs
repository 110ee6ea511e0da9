using System.Text;
using Gregor.Client.Partitioning;

namespace Gregor.Client.Tests;

public sealed class PartitionerTests
{
    // The hashes Kafka's own test suite expects of its murmur2 (org.apache.kafka.common.utils.Utils.murmur2).
    [Theory]
    [InlineData("21", -973932308)]
    [InlineData("foobar", -790332482)]
    [InlineData("a-little-bit-long-string", -985981536)]
    [InlineData("a-little-bit-longer-string", -1486304829)]
    [InlineData("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971)]
    [InlineData("abc", 479470107)]
    public void Murmur2_matches_kafkas_vectors(string key, int expected) =>
        Assert.Equal(expected, Murmur2.Hash(Encoding.ASCII.GetBytes(key)));

    // toPositive(hash) % n worked out by hand from the hashes above; every tail length (0..3 bytes) is covered.
    [Theory]
    [InlineData("21", 3, 0)]
    [InlineData("21", 100, 40)]
    [InlineData("foobar", 12, 6)]
    [InlineData("foobar", 100, 66)]
    [InlineData("a-little-bit-long-string", 3, 2)]
    [InlineData("a-little-bit-long-string", 12, 8)]
    [InlineData("abc", 6, 3)]
    [InlineData("abc", 100, 7)]
    public void Keyed_records_land_where_the_java_client_puts_them(string key, int partitions, int expected)
    {
        var partitioner = new DefaultPartitioner(random: new Random(1));
        Assert.Equal(expected, partitioner.Partition("t", partitions, [0], Encoding.ASCII.GetBytes(key), keyIsNull: false));
    }

    [Fact]
    public void To_positive_clears_the_sign_bit_even_for_min_value()
    {
        Assert.Equal(0, Murmur2.ToPositive(int.MinValue));
        Assert.Equal(int.MaxValue, Murmur2.ToPositive(-1));
        Assert.Equal(5, Murmur2.ToPositive(5));
    }

    [Fact]
    public void Empty_key_is_hashed_not_treated_as_null()
    {
        // An empty key is a key: it has a fixed partition, unlike a null key.
        int expected = Murmur2.PartitionForKey([], 10);
        var partitioner = new DefaultPartitioner(random: new Random(3));
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(expected, partitioner.Partition("t", 10, [], [], keyIsNull: false));
            partitioner.OnBatchCompleted("t", 10, [], expected);
        }
    }

    [Fact]
    public void Sticky_partitioner_stays_until_the_batch_completes_then_moves_to_another_available()
    {
        var sticky = new StickyPartitioner(new Random(42));
        int[] available = [0, 2, 4];
        int first = sticky.Partition("t", 5, available, [], keyIsNull: true);
        Assert.Contains(first, available);
        for (int i = 0; i < 100; i++) Assert.Equal(first, sticky.Partition("t", 5, available, [], true));

        for (int round = 0; round < 50; round++)
        {
            int before = sticky.CurrentPartition("t");
            sticky.OnBatchCompleted("t", 5, available, before);
            int after = sticky.Partition("t", 5, available, [], true);
            Assert.NotEqual(before, after);
            Assert.Contains(after, available);
        }
    }

    [Fact]
    public void A_completed_batch_of_another_partition_does_not_move_the_sticky_partition()
    {
        var sticky = new StickyPartitioner(new Random(7));
        int current = sticky.Partition("t", 8, [0, 1, 2, 3, 4, 5, 6, 7], [], true);
        sticky.OnBatchCompleted("t", 8, [0, 1, 2, 3, 4, 5, 6, 7], (current + 1) % 8);
        Assert.Equal(current, sticky.Partition("t", 8, [0, 1, 2, 3, 4, 5, 6, 7], [], true));
    }

    [Fact]
    public void Sticky_partitioner_spreads_over_all_available_partitions_over_many_batches()
    {
        var sticky = new StickyPartitioner(new Random(11));
        int[] available = [0, 1, 2, 3];
        var seen = new int[4];
        for (int batch = 0; batch < 4000; batch++)
        {
            int p = sticky.Partition("t", 4, available, [], true);
            seen[p]++;
            sticky.OnBatchCompleted("t", 4, available, p);
        }
        foreach (int count in seen) Assert.InRange(count, 800, 1200);
    }

    [Fact]
    public void With_no_partition_available_any_partition_is_used_and_one_partition_topics_work()
    {
        var sticky = new StickyPartitioner(new Random(5));
        int p = sticky.Partition("t", 3, [], [], true);
        Assert.InRange(p, 0, 2);
        sticky.OnBatchCompleted("t", 3, [], p);
        Assert.NotEqual(p, sticky.Partition("t", 3, [], [], true));

        Assert.Equal(0, sticky.Partition("single", 1, [0], [], true));
        sticky.OnBatchCompleted("single", 1, [0], 0);
        Assert.Equal(0, sticky.Partition("single", 1, [0], [], true));
    }

    [Fact]
    public void Sticky_partition_beyond_a_shrunk_partition_count_is_redrawn()
    {
        var sticky = new StickyPartitioner(new Random(9));
        int[] onlyHigh = [7];
        Assert.Equal(7, sticky.Partition("t", 8, onlyHigh, [], true));
        Assert.InRange(sticky.Partition("t", 2, [0, 1], [], true), 0, 1);
    }

    [Fact]
    public void Topics_stick_independently()
    {
        var sticky = new StickyPartitioner(new Random(13));
        int a = sticky.Partition("a", 100, [], [], true);
        int b = sticky.Partition("b", 100, [], [], true);
        sticky.OnBatchCompleted("b", 100, [], b);
        Assert.Equal(a, sticky.Partition("a", 100, [], [], true));
    }

    [Fact]
    public void Ignore_keys_sends_keyed_records_through_the_sticky_partitioner()
    {
        var partitioner = new DefaultPartitioner(ignoreKeys: true, random: new Random(17));
        byte[] key = Encoding.ASCII.GetBytes("foobar");
        int first = partitioner.Partition("t", 12, [], key, false);
        partitioner.OnBatchCompleted("t", 12, [], first);
        Assert.NotEqual(first, partitioner.Partition("t", 12, [], key, false));
    }

    [Fact]
    public void Zero_partitions_is_an_argument_error()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DefaultPartitioner().Partition("t", 0, [], [1], false));
    }
}
