using System.Text;
using Gregor.Broker.Replication;
using Gregor.Broker.Tests.Network;
using Gregor.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Records;

namespace Gregor.Broker.Tests.Fetch;

/// <summary>
/// Fetch over a socket against a running broker: a response is capped at fetch.max.bytes whatever the client asks,
/// carries whole batches exactly as produced, and is streamed from the files rather than built in memory.
/// </summary>
/// <remarks>Alone: one test counts the process's allocations, which tests running beside it would add to.</remarks>
[Collection(nameof(AllocationCountingCollection))]
public sealed class FetchStreamingTests
{
    private const int FetchMaxBytes = 3 * 1024 * 1024;
    private const int Partitions = 3;
    private const int BatchesPerPartition = 160;
    private const int RecordsPerBatch = 100;
    private const int ValueBytes = 1_000;

    [Fact]
    public async Task A_fetch_asking_for_everything_gets_at_most_fetch_max_bytes_of_whole_batches_in_every_version()
    {
        await using var broker = await TestBroker.StartAsync([$"fetch.max.bytes={FetchMaxBytes}"]);
        using var connection = await RawKafkaConnection.ConnectAsync(broker.Port);
        await FillAsync(connection);

        foreach (short version in new short[] { 2, 4, 11, 12 })
        {
            FetchResponse response = await FetchAsync(connection, version, maxBytes: int.MaxValue, partitionMaxBytes: int.MaxValue);
            long total = 0;
            foreach (FetchResponse.PartitionData partition in response.Responses[0].Partitions)
            {
                Assert.Equal(0, partition.ErrorCode);
                total += partition.Records?.Length ?? 0;
                CheckRecords(partition.PartitionIndex, partition.Records ?? ReadOnlyMemory<byte>.Empty);
            }
            Assert.True(total <= FetchMaxBytes, $"v{version}: {total} bytes of records");
            Assert.True(total > FetchMaxBytes - 2 * BatchBytes, $"v{version}: only {total} bytes of records");
        }
    }

    [Fact]
    public async Task A_response_the_client_reads_slowly_costs_the_broker_far_less_than_its_size()
    {
        await using var broker = await TestBroker.StartAsync([$"fetch.max.bytes={FetchMaxBytes}"]);
        using var connection = await RawKafkaConnection.ConnectAsync(broker.Port);
        await FillAsync(connection);
        byte[] frame = FetchFrame(12, correlationId: 99, maxBytes: int.MaxValue, partitionMaxBytes: int.MaxValue);
        // Once for warm-up (JIT, pools), then measured.
        await connection.SendAsync(frame);
        Assert.NotNull(await connection.ReceiveAsync());

        byte[] into = new byte[FetchMaxBytes + 64 * 1024];
        long before = GC.GetTotalAllocatedBytes(precise: true);
        await connection.SendAsync(frame);
        int received = await connection.ReceiveSlowlyAsync(into, chunk: 64 * 1024, pause: TimeSpan.FromMilliseconds(2));
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.True(received > FetchMaxBytes - 2 * BatchBytes, $"{received} bytes received");
        // The whole process (broker and this client) allocated a small fraction of the response while it was sent.
        Assert.True(allocated < received / 8, $"{allocated} bytes allocated while a {received}-byte response was sent");
    }

    [Fact]
    public async Task Records_are_copied_from_the_file_as_the_client_reads_so_a_log_cut_meanwhile_ends_the_connection()
    {
        const int Large = 12 * 1024 * 1024;
        await using var broker = await TestBroker.StartAsync([$"fetch.max.bytes={Large}"]);
        using (var producer = await RawKafkaConnection.ConnectAsync(broker.Port))
            await FillAsync(producer);
        PartitionLog log = broker.Host.Services.GetRequiredService<ReplicaManager>().GetPartition("big", 0)!.Log;
        using var connection = await RawKafkaConnection.ConnectAsync(broker.Port, receiveBufferBytes: 64 * 1024);
        await connection.SendAsync(FetchFrame(12, correlationId: 5, maxBytes: int.MaxValue, partitionMaxBytes: int.MaxValue));

        // The client has taken its first 64 KiB; at most the socket buffers (a few MB) are on their way. Cutting the
        // log now leaves the broker short of the bytes it promised: had it built the response in memory first, all of
        // it would still arrive.
        byte[] into = new byte[Large + 64 * 1024];
        var received = connection.ReceiveSlowlyAsync(into, chunk: 64 * 1024, pause: TimeSpan.Zero, afterFirstChunk: _ =>
        {
            log.Truncate(RecordsPerBatch); // inside the first segment: the file is cut in place
            return Task.CompletedTask;
        });
        var cut = await Assert.ThrowsAsync<IOException>(() => received);
        Assert.Contains("closed the connection", cut.Message, StringComparison.Ordinal);
        Assert.True(await broker.Log.WaitForAsync(LogLevel.Warning, "records ended after"));

        // The broker goes on serving.
        using var next = await RawKafkaConnection.ConnectAsync(broker.Port);
        Assert.Equal(0, (await FetchAsync(next, 12, maxBytes: 1 << 20, partitionMaxBytes: 1 << 20)).Responses[0].Partitions[1].ErrorCode);
    }

    private static int BatchBytes => RecordsPerBatch * (ValueBytes + 20);

    private static async Task FillAsync(RawKafkaConnection connection)
    {
        var create = new CreateTopicsRequest
        {
            Topics = [new CreateTopicsRequest.CreatableTopic { Name = "big", NumPartitions = Partitions, ReplicationFactor = 1 }],
        };
        await connection.SendAsync(RawKafkaConnection.Frame(19, 5, 1, create.Serialize(5)));
        var (_, created) = await connection.ReceiveResponseAsync(1);
        Assert.Equal(0, CreateTopicsResponse.Deserialize(created, 5).Topics[0].ErrorCode);

        int correlation = 2;
        for (int batch = 0; batch < BatchesPerPartition; batch++)
        {
            var produce = new ProduceRequest { Acks = 1, TimeoutMs = 30_000 };
            var data = new ProduceRequest.TopicProduceData { Name = "big" };
            for (int partition = 0; partition < Partitions; partition++)
                data.PartitionData.Add(new ProduceRequest.PartitionProduceData { Index = partition, Records = Batch(partition, batch) });
            produce.TopicData.Add(data);
            await connection.SendAsync(RawKafkaConnection.Frame(0, 9, correlation++, produce.Serialize(9)));
            var (_, answer) = await connection.ReceiveResponseAsync(1);
            Assert.All(ProduceResponse.Deserialize(answer, 9).Responses[0].PartitionResponses, p => Assert.Equal(0, p.ErrorCode));
        }
    }

    /// <summary>Every value says where it belongs, so a fetched record can be checked against its offset.</summary>
    private static byte[] Batch(int partition, int batch)
    {
        using var builder = new RecordBatchBuilder();
        for (int index = 0; index < RecordsPerBatch; index++)
        {
            long offset = (long)batch * RecordsPerBatch + index;
            builder.Append(1_700_000_000_000 + offset, Encoding.UTF8.GetBytes("k" + offset), Value(partition, offset));
        }
        return builder.Build().ToArray();
    }

    private static byte[] Value(int partition, long offset)
    {
        byte[] value = new byte[ValueBytes];
        Encoding.ASCII.GetBytes($"{partition}/{offset}/").CopyTo(value, 0);
        return value;
    }

    private static void CheckRecords(int partition, ReadOnlyMemory<byte> records)
    {
        var batches = new RecordBatchEnumerator(records.Span);
        long expected = 0;
        while (batches.MoveNext())
        {
            var opened = RecordBatchReader.TryOpen(batches.Current, out RecordBatchReader reader);
            Assert.True(opened.IsValid, opened.Message);
            using (reader)
            {
                while (reader.TryReadNext(out Gregor.Protocol.Records.Record record))
                {
                    Assert.Equal(expected++, record.Offset);
                    Assert.True(record.Value.Span.SequenceEqual(Value(partition, record.Offset)));
                }
            }
        }
        Assert.True(batches.Error.IsValid, batches.Error.Message);
    }

    private static async Task<FetchResponse> FetchAsync(RawKafkaConnection connection, short version, int maxBytes, int partitionMaxBytes)
    {
        await connection.SendAsync(FetchFrame(version, 50 + version, maxBytes, partitionMaxBytes));
        var (_, body) = await connection.ReceiveResponseAsync(version >= 12 ? (short)1 : (short)0);
        return FetchResponse.Deserialize(body, version);
    }

    private static byte[] FetchFrame(short version, int correlationId, int maxBytes, int partitionMaxBytes)
    {
        var request = new FetchRequest { MaxWaitMs = 0, MinBytes = 0, MaxBytes = maxBytes, SessionEpoch = -1 };
        var topic = new FetchRequest.FetchTopic { Topic = "big" };
        for (int partition = 0; partition < Partitions; partition++)
            topic.Partitions.Add(new FetchRequest.FetchPartition { Partition = partition, FetchOffset = 0, PartitionMaxBytes = partitionMaxBytes });
        request.Topics.Add(topic);
        return RawKafkaConnection.Frame(1, version, correlationId, request.Serialize(version));
    }
}

/// <summary>Tests that count the whole process's allocations run with no other test beside them.</summary>
[CollectionDefinition(nameof(AllocationCountingCollection), DisableParallelization = true)]
public sealed class AllocationCountingCollection;
