using System.IO.Pipelines;
using Gregor.Broker.Network;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Records;

namespace Gregor.Broker.Tests.Fetch;

/// <summary>
/// The response writer against a pipe that stops taking bytes, as a socket does when the client does not read: it
/// sends exactly the bytes of the whole encoding, never holding more than the transport's threshold unsent.
/// </summary>
public sealed class ResponseWriterTests
{
    private const int PauseAt = 64 * 1024;

    [Fact]
    public async Task A_response_with_records_in_their_source_is_sent_whole_while_the_reader_lags()
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PauseAt, resumeWriterThreshold: PauseAt / 2, useSynchronizationContext: false));
        var writer = new ResponseWriter(pipe.Writer, NoDeadline());
        var (response, deferredBytes) = Response(partitions: 5, bytesEach: 3_000_000);
        byte[] expected = Framed(response, correlationId: 7, version: 12);

        Task<bool> writing = writer.WriteAsync(7, 1, response, 12, deferredBytes, CancellationToken.None).AsTask();
        var received = new MemoryStream();
        long mostUnread = 0;
        while (received.Length < expected.Length)
        {
            await Task.Delay(1); // a slow client: the writer runs ahead until the pipe pauses it
            ReadResult read = await pipe.Reader.ReadAsync();
            mostUnread = Math.Max(mostUnread, read.Buffer.Length);
            foreach (ReadOnlyMemory<byte> segment in read.Buffer)
                received.Write(segment.Span);
            pipe.Reader.AdvanceTo(read.Buffer.End);
        }

        Assert.True(await writing);
        Assert.Equal(expected, received.ToArray());
        // What waits unsent is bounded by the pause threshold plus one block, not by the response's 15 MB.
        Assert.True(mostUnread <= PauseAt + 512 * 1024, $"{mostUnread} bytes were waiting unsent");
    }

    [Fact]
    public async Task A_small_response_is_encoded_in_place()
    {
        var pipe = new Pipe();
        var (response, _) = Response(partitions: 1, bytesEach: 100, deferred: false);
        Assert.True(await new ResponseWriter(pipe.Writer, NoDeadline()).WriteAsync(3, 1, response, 12, 0, CancellationToken.None));
        ReadResult read = await pipe.Reader.ReadAsync();
        Assert.Equal(Framed(response, 3, 12), System.Buffers.BuffersExtensions.ToArray(read.Buffer));
    }

    [Fact]
    public async Task A_source_that_ends_early_fails_the_write()
    {
        var pipe = new Pipe();
        var response = new FetchResponse();
        response.Responses.Add(new FetchResponse.FetchableTopicResponse
        {
            Topic = "t",
            Partitions = [new FetchResponse.PartitionData { Records = new ShortSource(1_000, endsAfter: 400).Records }],
        });
        var write = new ResponseWriter(pipe.Writer, NoDeadline()).WriteAsync(1, 1, response, 12, 1_000, CancellationToken.None);
        await Assert.ThrowsAsync<ResponseCutShortException>(async () => await write);
    }

    [Fact]
    public async Task Every_chunk_of_a_streamed_response_is_written_within_the_write_timeout()
    {
        var clock = new Network.ManualClock();
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: PauseAt, resumeWriterThreshold: PauseAt / 2, useSynchronizationContext: false));
        using var deadline = new WriteDeadline(500, clock);
        var (response, deferredBytes) = Response(partitions: 2, bytesEach: 1_000_000);
        Task<bool> writing = new ResponseWriter(pipe.Writer, deadline).WriteAsync(7, 1, response, 12, deferredBytes, CancellationToken.None).AsTask();

        // The client reads one chunk, then stops: a later chunk's flush waits, and its deadline expires.
        ReadResult read = await pipe.Reader.ReadAsync();
        pipe.Reader.AdvanceTo(read.Buffer.End);
        Assert.True(await clock.WaitForTimerAsync(TimeSpan.FromMilliseconds(500)));
        clock.Advance(TimeSpan.FromMilliseconds(500));
        var e = await Assert.ThrowsAsync<WriteTimeoutException>(() => writing);
        Assert.Contains("socket.write.timeout.ms (500 ms)", e.Message, StringComparison.Ordinal);
    }

    private static WriteDeadline NoDeadline() => new(long.MaxValue, TimeProvider.System);

    private static (FetchResponse Response, long DeferredBytes) Response(int partitions, int bytesEach, bool deferred = true)
    {
        var random = new Random(partitions);
        var response = new FetchResponse();
        var topic = new FetchResponse.FetchableTopicResponse { Topic = "t", Partitions = [] };
        response.Responses.Add(topic);
        for (int index = 0; index < partitions; index++)
        {
            byte[] bytes = new byte[bytesEach];
            random.NextBytes(bytes);
            topic.Partitions.Add(new FetchResponse.PartitionData
            {
                PartitionIndex = index,
                HighWatermark = 100,
                Records = deferred ? new ArraySource(bytes).Records : bytes,
            });
        }
        return (response, deferred ? (long)partitions * bytesEach : 0);
    }

    private static byte[] Framed(FetchResponse response, int correlationId, short version)
    {
        byte[] header = new ResponseHeader { CorrelationId = correlationId }.Serialize(1);
        byte[] body = response.Serialize(version);
        byte[] frame = new byte[4 + header.Length + body.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame, header.Length + body.Length);
        header.CopyTo(frame, 4);
        body.CopyTo(frame, 4 + header.Length);
        return frame;
    }

    private sealed class ArraySource(byte[] bytes) : DeferredRecords
    {
        public override int Length => bytes.Length;

        public override int CopyTo(Span<byte> destination, int offset)
        {
            int count = Math.Min(destination.Length, bytes.Length - offset);
            bytes.AsSpan(offset, count).CopyTo(destination);
            return count;
        }
    }

    /// <summary>A source whose file was cut short under it.</summary>
    private sealed class ShortSource(int length, int endsAfter) : DeferredRecords
    {
        public override int Length => length;

        public override int CopyTo(Span<byte> destination, int offset) => Math.Max(0, Math.Min(destination.Length, endsAfter - offset));
    }
}
