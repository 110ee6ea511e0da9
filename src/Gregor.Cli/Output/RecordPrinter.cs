using System.Globalization;
using System.Text;
using System.Text.Json;
using Gregor.Cli.Commands;
using Gregor.Client;

namespace Gregor.Cli.Output;

/// <summary>
/// Prints consumed records one per line: as kafka-console-consumer does (the print.* fields in its order,
/// separated by key.separator; "null" for a null key or value), or with --output json as one JSON object per
/// line. JSON gives keys, values and header values as UTF-8 text; bytes that are not valid UTF-8 are given in
/// base64 instead, with "keyEncoding"/"valueEncoding": "base64" saying so.
/// </summary>
internal sealed class RecordPrinter
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly TextWriter _out;
    private readonly OutputFormat _format;
    private readonly ConsumePrintOptions _print;
    private readonly MemoryStream _json = new();

    public RecordPrinter(TextWriter output, OutputFormat format, ConsumePrintOptions print)
    {
        _out = output;
        _format = format;
        _print = print;
    }

    public void Print(ConsumeResult<byte[], byte[]> record)
    {
        if (_format == OutputFormat.Json) PrintJson(record);
        else PrintLine(record);
    }

    private void PrintLine(ConsumeResult<byte[], byte[]> record)
    {
        var line = new StringBuilder();
        string separator = _print.KeySeparator;
        var message = record.Message;
        if (_print.Timestamp)
            line.Append(message.Timestamp.Type == TimestampType.NotAvailable ? "NO_TIMESTAMP"
                : string.Create(CultureInfo.InvariantCulture, $"{message.Timestamp.Type}:{message.Timestamp.UnixTimestampMs}")).Append(separator);
        if (_print.Partition) line.Append("Partition:").Append(record.Partition.Value.ToString(CultureInfo.InvariantCulture)).Append(separator);
        if (_print.Offset) line.Append("Offset:").Append(record.Offset.Value.ToString(CultureInfo.InvariantCulture)).Append(separator);
        if (_print.Headers)
        {
            if (message.Headers is not { Count: > 0 } headers) line.Append("NO_HEADERS");
            else line.AppendJoin(',', headers.Select(h => h.Key + ":" + Text(h.GetValueBytes())));
            line.Append(separator);
        }
        if (_print.Key) line.Append(Text(message.Key)).Append(separator);
        line.Append(Text(message.Value));
        _out.WriteLine(line.ToString());
    }

    private static string Text(byte[]? bytes) => bytes is null ? "null" : Encoding.UTF8.GetString(bytes);

    private void PrintJson(ConsumeResult<byte[], byte[]> record)
    {
        _json.SetLength(0);
        using (var json = new Utf8JsonWriter(_json))
        {
            var message = record.Message;
            json.WriteStartObject();
            json.WriteString("topic", record.Topic);
            json.WriteNumber("partition", record.Partition.Value);
            json.WriteNumber("offset", record.Offset.Value);
            json.WriteNumber("timestamp", message.Timestamp.UnixTimestampMs);
            json.WriteString("timestampType", message.Timestamp.Type.ToString());
            WriteBytes(json, "key", message.Key);
            WriteBytes(json, "value", message.Value);
            json.WriteStartArray("headers");
            foreach (var header in (IEnumerable<IHeader>?)message.Headers ?? [])
            {
                json.WriteStartObject();
                json.WriteString("key", header.Key);
                WriteBytes(json, "value", header.GetValueBytes());
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        _out.WriteLine(Encoding.UTF8.GetString(_json.GetBuffer(), 0, (int)_json.Length));
    }

    private static void WriteBytes(Utf8JsonWriter json, string name, byte[]? bytes)
    {
        if (bytes is null)
        {
            json.WriteNull(name);
            return;
        }
        // Checked first rather than caught: a topic of binary records would otherwise throw once per record.
        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            json.WriteString(name, StrictUtf8.GetString(bytes));
            return;
        }
        json.WriteString(name, Convert.ToBase64String(bytes));
        json.WriteString(name + "Encoding", "base64");
    }
}
