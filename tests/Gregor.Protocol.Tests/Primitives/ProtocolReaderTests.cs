using System.Text;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Tests.Primitives;

public sealed class ProtocolReaderTests
{
    [Fact]
    public void Classic_and_compact_strings_and_their_nulls()
    {
        byte[] bytes = Convert.FromHexString("0003616263" + "FFFF" + "04616263" + "00");
        var reader = new ProtocolReader(bytes);
        Assert.Equal("abc", reader.ReadString(compact: false, nullable: false));
        Assert.Null(reader.ReadString(compact: false, nullable: true));
        Assert.Equal("abc", reader.ReadString(compact: true, nullable: false));
        Assert.Null(reader.ReadString(compact: true, nullable: true));
        Assert.Equal(0, reader.Remaining);
    }

    [Fact]
    public void A_null_where_none_is_allowed_is_malformed()
    {
        var ex = Assert.Throws<MalformedMessageException>(() =>
        {
            var reader = new ProtocolReader(new byte[] { 0xFF, 0xFF });
            reader.ReadString(compact: false, nullable: false);
        });
        Assert.Contains("null", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_string_length_past_the_frame_is_refused_before_allocating()
    {
        Assert.Throws<MalformedMessageException>(() =>
        {
            var reader = new ProtocolReader(new byte[] { 0x7F, 0xFF, 0x61 });
            reader.ReadString(compact: false, nullable: false);
        });
    }

    [Fact]
    public void An_array_count_that_cannot_fit_is_refused_before_allocating()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<MalformedMessageException>(() =>
        {
            var reader = new ProtocolReader(new byte[] { 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0 });
            reader.ReadArrayLength(compact: false, nullable: false, minElementSize: 4);
        });
        Assert.Contains("cannot fit", ex.Message, StringComparison.Ordinal);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 * 1024);
    }

    [Fact]
    public void An_element_budget_counts_every_array_and_refuses_the_count_that_passes_it()
    {
        // Two int32 arrays of 3 and 4 elements; a budget of 6 admits the first and refuses the second at its count.
        byte[] bytes = Convert.FromHexString("00000003" + "000000010000000200000003" + "00000004" + "00000001000000020000000300000004");
        var reader = new ProtocolReader(bytes, maxElements: 6);
        Assert.Equal(3, reader.ReadArrayLength(compact: false, nullable: false, minElementSize: 4));
        reader.Skip(12);
        int positionOfSecondCount = reader.Position;
        ElementLimitExceededException? refused = null;
        try
        {
            reader.ReadArrayLength(compact: false, nullable: false, minElementSize: 4);
        }
        catch (ElementLimitExceededException e)
        {
            refused = e;
        }
        Assert.NotNull(refused);
        Assert.Equal(6, refused.Limit);
        Assert.Equal(7, refused.Elements);
        Assert.Equal(7, reader.ElementsRead);
        Assert.Equal(positionOfSecondCount + 4, reader.Position);
        Assert.IsAssignableFrom<MalformedMessageException>(refused);
    }

    [Fact]
    public void Without_a_budget_only_the_bytes_bound_an_array()
    {
        byte[] bytes = Convert.FromHexString("00000003" + "000000010000000200000003");
        var reader = new ProtocolReader(bytes);
        Assert.Equal(int.MaxValue, reader.MaxElements);
        Assert.Equal(3, reader.ReadArrayLength(compact: false, nullable: false, minElementSize: 4));
        Assert.Equal(3, reader.ElementsRead);
    }

    [Fact]
    public void Invalid_utf8_becomes_replacement_characters()
    {
        byte[] bytes = Convert.FromHexString("0005" + "61FF62C3" + "63");
        var reader = new ProtocolReader(bytes);
        Assert.Equal(Encoding.UTF8.GetString(bytes.AsSpan(2)), reader.ReadString(compact: false, nullable: false));
    }

    [Fact]
    public void Records_are_a_slice_of_the_frame_not_a_copy()
    {
        byte[] frame = [0, 0, 0, 3, 7, 8, 9];
        var reader = new ProtocolReader(frame);
        var records = reader.ReadRecords(compact: false);
        Assert.True(records.HasValue);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(records.Value, out var segment));
        Assert.Same(frame, segment.Array);
        Assert.Equal(4, segment.Offset);
    }

    [Fact]
    public void Uuids_print_as_kafka_prints_them()
    {
        var id = new KafkaUuid(0x0102030405060708, 0x090A0B0C0D0E0F10);
        string text = id.ToString();
        Assert.Equal(22, text.Length);
        Assert.Equal("AQIDBAUGBwgJCgsMDQ4PEA", text);
        Assert.True(KafkaUuid.TryParse(text, out var back));
        Assert.Equal(id, back);
        Assert.False(KafkaUuid.NewRandom(new Random(1)).IsZero);
    }

    [Fact]
    public void A_compact_string_over_32767_bytes_is_malformed()
    {
        var bytes = new byte[3 + 40000];
        int n = Varint.WriteUnsigned32(bytes, 40000 + 1);
        Assert.Equal(3, n);
        bytes.AsSpan(3).Fill((byte)'a');
        Assert.Throws<MalformedMessageException>(() =>
        {
            var reader = new ProtocolReader(bytes);
            reader.ReadString(compact: true, nullable: false);
        });
    }
}
