using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;

namespace Gregor.Protocol.Tests.Messages;

/// <summary>
/// Records left in their source while a message is encoded: the inline bytes plus the sources, spliced at the positions
/// the writer noted, are exactly the message encoded whole.
/// </summary>
public sealed class DeferredRecordsTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    [InlineData(11)]
    [InlineData(12)]
    [InlineData(16)]
    public void Spliced_inline_bytes_and_sources_equal_the_whole_encoding(short version)
    {
        var random = new Random(version);
        var response = new FetchResponse();
        var topic = new FetchResponse.FetchableTopicResponse { Topic = "t", TopicId = new KafkaUuid(1, 2), Partitions = [] };
        response.Responses.Add(topic);
        for (int index = 0; index < 6; index++)
        {
            byte[] bytes = new byte[random.Next(0, 70_000)];
            random.NextBytes(bytes);
            ReadOnlyMemory<byte>? records = (index % 3) switch
            {
                0 => new ArraySource(bytes).Records, // deferred
                1 => bytes,                          // inline
                _ => index == 5 ? null : new ArraySource([]).Records,
            };
            topic.Partitions.Add(new FetchResponse.PartitionData { PartitionIndex = index, HighWatermark = index * 10, Records = records });
        }
        byte[] whole = response.Serialize(version);

        var deferred = new DeferredRecordsList();
        int size = response.Size(version);
        long inlineSize = size - (long)topic.Partitions.Sum(p => p.Records is { } r && IsDeferred(r) ? r.Length : 0);
        byte[] inline = new byte[inlineSize];
        var writer = new ProtocolWriter(inline, deferred);
        response.Write(ref writer, version);

        Assert.Equal(inline.Length, writer.Position);
        Assert.Equal(size - inline.Length, deferred.TotalBytes);
        var spliced = new List<byte>();
        int at = 0;
        for (int index = 0; index < deferred.Count; index++)
        {
            DeferredRecordsList.Entry entry = deferred[index];
            spliced.AddRange(inline[at..entry.Position]);
            byte[] copy = new byte[entry.Length];
            Assert.Equal(entry.Length, entry.Source.CopyTo(copy, entry.Start));
            spliced.AddRange(copy);
            at = entry.Position;
        }
        spliced.AddRange(inline[at..]);
        Assert.Equal(whole, spliced.ToArray());
    }

    private static bool IsDeferred(ReadOnlyMemory<byte> records) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetMemoryManager(records, out DeferredRecords? _);

    /// <summary>A source backed by an array, as a file region is backed by a file.</summary>
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
}
