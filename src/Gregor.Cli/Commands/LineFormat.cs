using System.Text;
using Gregor.Client;

namespace Gregor.Cli.Commands;

/// <summary>
/// How <c>gregor produce</c> turns a line into a record, with kafka-console-producer's properties: optionally
/// headers first (<c>parse.headers</c>: <c>k1:v1,k2:v2</c>, then <c>headers.delimiter</c>), then optionally a key
/// and <c>key.separator</c>, then the value. A key, value or header value equal to <c>null.marker</c> is null.
/// Headers given with <c>--header</c> are added to every record after those of the line.
/// </summary>
internal sealed record LineFormat(bool ParseKey, string KeySeparator, bool ParseHeaders, string HeadersDelimiter, string HeadersSeparator,
    string HeadersKeySeparator, string? NullMarker, IReadOnlyList<KeyValuePair<string, string>> ExtraHeaders)
{
    public static LineFormat ValueOnly { get; } = new(false, "\t", false, "\t", ",", ":", null, []);

    /// <summary>The record a line stands for; a malformed line is a <see cref="FormatException"/> naming what is missing.</summary>
    public Message<byte[], byte[]> Parse(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        string rest = line;
        Headers? headers = null;
        if (ParseHeaders)
        {
            int end = rest.IndexOf(HeadersDelimiter, StringComparison.Ordinal);
            if (end < 0) throw new FormatException($"line has no headers delimiter '{Escape(HeadersDelimiter)}': {Truncate(line)}");
            headers = ParseHeaderList(rest[..end], line);
            rest = rest[(end + HeadersDelimiter.Length)..];
        }
        if (ExtraHeaders.Count > 0)
        {
            headers ??= [];
            foreach (var (name, value) in ExtraHeaders) headers.Add(name, Encoding.UTF8.GetBytes(value));
        }
        byte[]? key = null;
        if (ParseKey)
        {
            int at = rest.IndexOf(KeySeparator, StringComparison.Ordinal);
            if (at < 0) throw new FormatException($"line has no key separator '{Escape(KeySeparator)}': {Truncate(line)}");
            key = Bytes(rest[..at]);
            rest = rest[(at + KeySeparator.Length)..];
        }
        var message = new Message<byte[], byte[]> { Key = key!, Value = Bytes(rest)! };
        if (headers is not null) message.Headers = headers;
        return message;
    }

    private Headers ParseHeaderList(string text, string line)
    {
        var headers = new Headers();
        if (text.Length == 0) return headers;
        foreach (string pair in text.Split(HeadersSeparator))
        {
            int at = pair.IndexOf(HeadersKeySeparator, StringComparison.Ordinal);
            if (at < 0) throw new FormatException($"header '{Truncate(pair)}' has no key separator '{Escape(HeadersKeySeparator)}': {Truncate(line)}");
            string key = pair[..at];
            if (key.Length == 0) throw new FormatException($"a header has an empty key: {Truncate(line)}");
            headers.Add(key, Bytes(pair[(at + HeadersKeySeparator.Length)..]));
        }
        return headers;
    }

    private byte[]? Bytes(string text) => NullMarker is not null && text == NullMarker ? null : Encoding.UTF8.GetBytes(text);

    private static string Escape(string s) => s.Replace("\t", "\\t", StringComparison.Ordinal);

    private static string Truncate(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
