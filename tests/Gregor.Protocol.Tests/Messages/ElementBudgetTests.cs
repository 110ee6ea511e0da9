using System.Buffers.Binary;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Tests.Messages;

/// <summary>
/// A reader's element budget caps what a request may fan out to: the count that would pass it is
/// refused before its elements exist, so decoding costs what the budget allows, not what was asked.
/// </summary>
public sealed class ElementBudgetTests
{
    private const int ExceptionAllowance = 16 * 1024;

    public static TheoryData<string, short> Requests()
    {
        var data = new TheoryData<string, short>();
        foreach (var (m, v) in MessageCodecs.EveryMessageVersion())
            if (m.Kind == "request") data.Add(m.Name, v);
        return data;
    }

    [Theory]
    [MemberData(nameof(Requests))]
    public void A_request_over_its_budget_is_refused_within_the_bound_of_the_budget(string name, short version)
    {
        var descriptor = MessageCatalog.All.Single(d => d.Name == name);
        for (int seed = 0; seed < 20; seed++)
        {
            var message = new RandomMessages(descriptor, seed * 31 + version, arrayLengths: 24, blobLengths: 2).Create(version);
            byte[] bytes = MessageCodecs.Serialize(message, version);
            MessageCodecs.AllocatedByRead(descriptor, bytes, version, int.MaxValue, out var failure, out long total);
            Assert.Null(failure);
            if (total < 2) continue;

            int budget = (int)(total / 2);
            long allocated = MessageCodecs.AllocatedByRead(descriptor, bytes, version, budget, out failure, out long counted);
            var refused = Assert.IsType<ElementLimitExceededException>(failure);
            Assert.Equal(budget, refused.Limit);
            Assert.True(counted > budget, $"refused after counting {counted} of a budget of {budget}");
            // Elements allocated are those counted before the refused array: within the budget.
            long bound = descriptor.MaxAllocationFor(bytes.Length, budget) + ExceptionAllowance;
            Assert.True(allocated <= bound, $"{name} v{version}: {allocated} bytes allocated under a budget of {budget} elements, bound {bound}");

            // The same message within its budget decodes.
            MessageCodecs.AllocatedByRead(descriptor, bytes, version, (int)total, out failure, out _);
            Assert.Null(failure);
        }
    }

    [Fact]
    public void Ten_million_empty_partitions_cost_the_budget_not_the_count()
    {
        // The attack: Produce v7, one topic naming 10,000,000 partitions with null records (8 bytes each), 80 MB.
        const int partitions = 10_000_000;
        byte[] body = ProduceNaming(partitions);
        var descriptor = ProduceRequest.Descriptor;

        long allocated = MessageCodecs.AllocatedByRead(descriptor, body, 7, 200_000, out var failure, out long counted);

        var refused = Assert.IsType<ElementLimitExceededException>(failure);
        Assert.Equal(1 + partitions, counted);
        Assert.Contains("over the limit of 200000", refused.Message, StringComparison.Ordinal);
        Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated refusing {body.Length} bytes");
    }

    [Fact]
    public void A_budget_spent_across_many_arrays_stops_at_the_array_that_passes_it()
    {
        // 1,000 topics of 1,000 partitions: each array fits, their sum does not.
        byte[] body = ProduceOf(topics: 1_000, partitionsEach: 1_000);
        var descriptor = ProduceRequest.Descriptor;
        const int budget = 200_000;

        long allocated = MessageCodecs.AllocatedByRead(descriptor, body, 7, budget, out var failure, out long counted);

        Assert.IsType<ElementLimitExceededException>(failure);
        Assert.InRange(counted, budget + 1, budget + 1_000);
        Assert.True(allocated <= descriptor.MaxAllocationFor(body.Length, budget) + ExceptionAllowance,
            $"{allocated} bytes allocated, bound {descriptor.MaxAllocationFor(body.Length, budget)}");
        MessageCodecs.AllocatedByRead(descriptor, body, 7, 1_001_000, out failure, out counted);
        Assert.Null(failure);
        Assert.Equal(1_001_000, counted);
    }

    /// <summary>A Produce v7 body: null transactional id, acks 1, timeout, one topic "t" with <paramref name="partitions"/> null-records partitions.</summary>
    internal static byte[] ProduceNaming(int partitions)
    {
        var body = new byte[checked(2 + 2 + 4 + 4 + 2 + 1 + 4 + (8 * partitions))];
        var span = body.AsSpan();
        BinaryPrimitives.WriteInt16BigEndian(span, -1);          // transactional id: null
        BinaryPrimitives.WriteInt16BigEndian(span[2..], 1);      // acks
        BinaryPrimitives.WriteInt32BigEndian(span[4..], 30_000); // timeout
        BinaryPrimitives.WriteInt32BigEndian(span[8..], 1);      // one topic
        BinaryPrimitives.WriteInt16BigEndian(span[12..], 1);
        span[14] = (byte)'t';
        BinaryPrimitives.WriteInt32BigEndian(span[15..], partitions);
        for (int i = 0, at = 19; i < partitions; i++, at += 8)
        {
            BinaryPrimitives.WriteInt32BigEndian(span[at..], i);
            BinaryPrimitives.WriteInt32BigEndian(span[(at + 4)..], -1); // null records
        }
        return body;
    }

    private static byte[] ProduceOf(int topics, int partitionsEach)
    {
        var request = new ProduceRequest { Acks = 1, TimeoutMs = 30_000 };
        for (int t = 0; t < topics; t++)
        {
            var topic = new ProduceRequest.TopicProduceData { Name = "t" + t };
            for (int p = 0; p < partitionsEach; p++) topic.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = p, Records = null });
            request.TopicData.Add(topic);
        }
        return request.Serialize(7);
    }
}
