using Gregor.Broker.Dispatch;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Xunit.Abstractions;

namespace Gregor.Broker.DataPlane.Tests;

/// <summary>
/// The hot path allocates per request, never per record: a batch of 1000 records costs what a batch of 10 does.
/// Measured on this thread (acks=1 produce and a fetch with data both complete synchronously).
/// </summary>
public sealed class AllocationTests(ITestOutputHelper output)
{
    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    private static long ProduceAllocation(DataPlaneFixture broker, byte[] batch)
    {
        var request = DataPlaneFixture.ProduceRequestFor("t", 0, batch);
        byte[] body = request.Serialize(9);
        // Warm up: JIT, pools, the first segment writes.
        for (int index = 0; index < 20; index++)
            Produce(broker, (byte[])body.Clone());
        long best = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            byte[] copy = (byte[])body.Clone();
            long before = GC.GetAllocatedBytesForCurrentThread();
            Produce(broker, copy);
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return best;
    }

    private static void Produce(DataPlaneFixture broker, byte[] body)
    {
        var context = new RequestContext(ApiKey.Produce, 9, 1, "alloc", null, 1, body);
        var pending = broker.ProduceHandler.HandleAsync(context, body, CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully);
        var response = (ProduceResponse)pending.Result!;
        Assert.Equal(0, response.Responses[0].PartitionResponses[0].ErrorCode);
        context.ReleaseResources();
    }

    private static long FetchAllocation(DataPlaneFixture broker, int partitionMaxBytes)
    {
        byte[] body = DataPlaneFixture.FetchRequestFor(("t", 0, 0, partitionMaxBytes)).Serialize(11);
        for (int index = 0; index < 20; index++)
            Fetch(broker, body);
        long best = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            Fetch(broker, body);
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return best;
    }

    private static void Fetch(DataPlaneFixture broker, byte[] body)
    {
        var context = new RequestContext(ApiKey.Fetch, 11, 1, "alloc", null, 1, body);
        var pending = broker.FetchHandler.HandleAsync(context, body, CancellationToken.None);
        Assert.True(pending.IsCompletedSuccessfully);
        var response = (FetchResponse)pending.Result!;
        Assert.True(response.Responses[0].Partitions[0].Records!.Value.Length > 0);
        context.ReleaseResources();
    }

    [Fact]
    public async Task Produce_allocation_does_not_grow_with_the_records_in_a_batch()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");

        long ten = ProduceAllocation(broker, Batches.Create(10, Now));
        long thousand = ProduceAllocation(broker, Batches.Create(1000, Now));

        output.WriteLine($"produce: 10 records {ten} B, 1000 records {thousand} B per request");
        Assert.True(thousand - ten < 512, $"10 records: {ten} B, 1000 records: {thousand} B per request");
        Assert.True(ten < 8 * 1024, $"{ten} B per produce request");
    }

    [Fact]
    public async Task Fetch_allocation_does_not_grow_with_the_records_returned()
    {
        await using var broker = new DataPlaneFixture();
        broker.Metadata.CreateTopic("t");
        for (int index = 0; index < 50; index++)
            await broker.ProduceAsync("t", 0, Batches.Create(100, Now));

        long oneBatch = FetchAllocation(broker, 1);
        long fifty = FetchAllocation(broker, 10 * 1024 * 1024);

        output.WriteLine($"fetch: 1 batch {oneBatch} B, 50 batches {fifty} B per request");
        Assert.True(fifty - oneBatch < 512, $"1 batch: {oneBatch} B, 50 batches of 100 records: {fifty} B per request");
        Assert.True(oneBatch < 8 * 1024, $"{oneBatch} B per fetch request");
    }
}
