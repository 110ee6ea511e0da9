using System.Text.Json;
using Gregor.Cli.Commands;
using Gregor.Cli.Output;
using Gregor.Client;

namespace Gregor.Cli.Tests;

public sealed class RecordPrinterTests
{
    private static ConsumeResult<byte[], byte[]> Record(byte[]? key, byte[]? value, Headers? headers = null) => new()
    {
        Topic = "t",
        Partition = 2,
        Offset = 41,
        Message = new Message<byte[], byte[]>
        {
            Key = key!,
            Value = value!,
            Timestamp = new Timestamp(1_700_000_000_123, TimestampType.CreateTime),
            Headers = headers,
        },
    };

    private static string Print(OutputFormat format, ConsumePrintOptions options, ConsumeResult<byte[], byte[]> record)
    {
        var output = new StringWriter();
        new RecordPrinter(output, format, options).Print(record);
        return output.ToString().TrimEnd('\n');
    }

    [Fact]
    public void Lines_follow_kafka_console_consumer_fields_and_order()
    {
        var everything = new ConsumePrintOptions(Key: true, Timestamp: true, Partition: true, Offset: true, Headers: true, KeySeparator: "|");
        var headers = new Headers { { "a", "1"u8.ToArray() }, { "b", null } };
        Assert.Equal("CreateTime:1700000000123|Partition:2|Offset:41|a:1,b:null|k|v", Print(OutputFormat.Table, everything, Record("k"u8.ToArray(), "v"u8.ToArray(), headers)));
        Assert.Equal("CreateTime:1700000000123|Partition:2|Offset:41|NO_HEADERS|null|null", Print(OutputFormat.Table, everything, Record(null, null)));
        Assert.Equal("value only", Print(OutputFormat.Table, ConsumePrintOptions.Default, Record("k"u8.ToArray(), "value only"u8.ToArray())));
        Assert.Equal("k\tv", Print(OutputFormat.Table, ConsumePrintOptions.Default with { Key = true }, Record("k"u8.ToArray(), "v"u8.ToArray())));
    }

    [Fact]
    public void Json_is_one_object_per_line_with_text_or_base64_bytes()
    {
        var headers = new Headers { { "h", "ü"u8.ToArray() }, { "bin", [0xff, 0x00] }, { "null", null } };
        string line = Print(OutputFormat.Json, ConsumePrintOptions.Default, Record("käfer"u8.ToArray(), [0xc3, 0x28], headers));
        Assert.DoesNotContain('\n', line);
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal(("t", 2, 41L), (root.GetProperty("topic").GetString(), root.GetProperty("partition").GetInt32(), root.GetProperty("offset").GetInt64()));
        Assert.Equal(1_700_000_000_123, root.GetProperty("timestamp").GetInt64());
        Assert.Equal("CreateTime", root.GetProperty("timestampType").GetString());
        Assert.Equal("käfer", root.GetProperty("key").GetString());
        Assert.False(root.TryGetProperty("keyEncoding", out _));
        Assert.Equal(Convert.ToBase64String([0xc3, 0x28]), root.GetProperty("value").GetString());
        Assert.Equal("base64", root.GetProperty("valueEncoding").GetString());
        var h = root.GetProperty("headers");
        Assert.Equal("ü", h[0].GetProperty("value").GetString());
        Assert.Equal("base64", h[1].GetProperty("valueEncoding").GetString());
        Assert.Equal(JsonValueKind.Null, h[2].GetProperty("value").ValueKind);

        using var nulls = JsonDocument.Parse(Print(OutputFormat.Json, ConsumePrintOptions.Default, Record(null, null)));
        Assert.Equal(JsonValueKind.Null, nulls.RootElement.GetProperty("key").ValueKind);
        Assert.Equal(0, nulls.RootElement.GetProperty("headers").GetArrayLength());
    }
}
