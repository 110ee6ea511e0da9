using System.Globalization;
using System.Text;

namespace Gregor.Broker.Configuration;

/// <summary>
/// Reads the text of a Java properties file the way <c>java.util.Properties.load</c> does: comment
/// lines start with <c>#</c> or <c>!</c>; the key ends at the first unescaped <c>=</c>, <c>:</c> or
/// whitespace; a line ending in an odd number of backslashes continues on the next line; <c>\t \n
/// \r \f \uXXXX</c> are escapes and any other escaped character stands for itself. The file is read
/// as UTF-8 (Java's default for Reader-based loading), not ISO-8859-1.
/// </summary>
public static class JavaProperties
{
    /// <summary>The entries in file order; a key given twice appears twice (the later one wins when merged).</summary>
    public static List<KeyValuePair<string, string>> Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        var entries = new List<KeyValuePair<string, string>>();
        string[] lines = text.Split('\n');
        var logical = new StringBuilder();
        for (int i = 0; i < lines.Length; i++)
        {
            int firstLine = i + 1;
            string line = lines[i].TrimEnd('\r').TrimStart(' ', '\t', '\f');
            if (line.Length == 0 || line[0] is '#' or '!') continue;
            logical.Clear();
            while (EndsWithContinuation(line) && i + 1 < lines.Length)
            {
                logical.Append(line, 0, line.Length - 1);
                line = lines[++i].TrimEnd('\r').TrimStart(' ', '\t', '\f');
            }
            if (EndsWithContinuation(line)) line = line[..^1]; // a continuation at end of file continues into nothing
            logical.Append(line);
            entries.Add(SplitEntry(logical.ToString(), source, firstLine));
        }
        return entries;
    }

    private static bool EndsWithContinuation(string line)
    {
        int backslashes = 0;
        for (int i = line.Length - 1; i >= 0 && line[i] == '\\'; i--) backslashes++;
        return backslashes % 2 == 1;
    }

    private static KeyValuePair<string, string> SplitEntry(string line, string source, int lineNumber)
    {
        int keyEnd = 0;
        while (keyEnd < line.Length)
        {
            char c = line[keyEnd];
            if (c == '\\') { keyEnd += 2; continue; }
            if (c is '=' or ':' or ' ' or '\t' or '\f') break;
            keyEnd++;
        }
        keyEnd = Math.Min(keyEnd, line.Length);
        int valueStart = keyEnd;
        while (valueStart < line.Length && line[valueStart] is ' ' or '\t' or '\f') valueStart++;
        if (valueStart < line.Length && line[valueStart] is '=' or ':') valueStart++;
        while (valueStart < line.Length && line[valueStart] is ' ' or '\t' or '\f') valueStart++;
        string key = Unescape(line.AsSpan(0, keyEnd), source, lineNumber);
        string value = Unescape(line.AsSpan(valueStart), source, lineNumber);
        return new KeyValuePair<string, string>(key, value);
    }

    private static string Unescape(ReadOnlySpan<char> text, string source, int lineNumber)
    {
        if (!text.Contains('\\')) return text.ToString();
        var result = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c != '\\' || i + 1 == text.Length)
            {
                result.Append(c);
                continue;
            }
            char escaped = text[++i];
            switch (escaped)
            {
                case 't': result.Append('\t'); break;
                case 'n': result.Append('\n'); break;
                case 'r': result.Append('\r'); break;
                case 'f': result.Append('\f'); break;
                case 'u':
                    if (text.Length - (i + 1) < 4
                        || !ushort.TryParse(text.Slice(i + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ushort code))
                        throw new BrokerConfigException($"{source}, line {lineNumber}: malformed \\uXXXX escape");
                    result.Append((char)code);
                    i += 4;
                    break;
                default: result.Append(escaped); break;
            }
        }
        return result.ToString();
    }
}
