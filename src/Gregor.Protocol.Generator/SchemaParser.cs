using System;
using System.Collections.Generic;
using System.Globalization;

namespace Gregor.Protocol.Generator;

/// <summary>
/// Parses the schema language of src/Gregor.Protocol/Schemas/README.md into message specs.
/// Errors are collected with file and line, never thrown, so the build names every mistake.
/// </summary>
internal sealed class SchemaParser
{
    private readonly string _file;
    private readonly List<SchemaError> _errors;

    private SchemaParser(string file, List<SchemaError> errors)
    {
        _file = file;
        _errors = errors;
    }

    public static List<MessageSpec> Parse(string file, string text, List<SchemaError> errors)
    {
        return new SchemaParser(file, errors).ParseAll(text);
    }

    private sealed class Frame
    {
        public Frame(StructSpec spec, int childIndent)
        {
            Spec = spec;
            ChildIndent = childIndent;
        }

        public StructSpec Spec { get; }

        public int ChildIndent { get; }
    }

    private List<MessageSpec> ParseAll(string text)
    {
        var messages = new List<MessageSpec>();
        MessageSpec? current = null;
        var stack = new List<Frame>();
        var pending = new List<KeyValuePair<FieldSpec, StructSpec>>();
        var declared = new List<StructSpec>();
        string[] lines = text.Replace("\r\n", "\n").Split('\n');

        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            string raw = lines[i];
            int hash = raw.IndexOf('#');
            string line = (hash >= 0 ? raw.Substring(0, hash) : raw).TrimEnd();
            if (line.Trim().Length == 0) continue;
            if (line.IndexOf('\t') >= 0) { Error(lineNo, "tabs are not allowed; indent with two spaces"); continue; }
            int indent = 0;
            while (indent < line.Length && line[indent] == ' ') indent++;
            string[] words = line.Trim().Split(new[] { ' ' }, StringSplitOptions.RemoveEmptyEntries);

            if (indent == 0)
            {
                if (current != null) Finish(current, pending, declared);
                pending.Clear();
                declared.Clear();
                current = ParseMessageLine(words, lineNo);
                stack.Clear();
                if (current != null)
                {
                    messages.Add(current);
                    stack.Add(new Frame(current.Root, 2));
                }
                continue;
            }
            if (current == null) { Error(lineNo, "field outside a message"); continue; }
            if (indent % 2 != 0) { Error(lineNo, "indentation must be a multiple of two spaces"); continue; }

            if (words[0] == "struct")
            {
                if (indent != 2 || words.Length != 2) { Error(lineNo, "a struct block is 'struct <Name>' two spaces in"); continue; }
                var block = new StructSpec { Name = words[1], Line = lineNo };
                declared.Add(block);
                while (stack.Count > 1) stack.RemoveAt(stack.Count - 1);
                stack.Add(new Frame(block, 4));
                continue;
            }

            while (stack.Count > 1 && stack[stack.Count - 1].ChildIndent > indent) stack.RemoveAt(stack.Count - 1);
            var top = stack[stack.Count - 1];
            if (top.ChildIndent != indent) { Error(lineNo, "unexpected indentation (" + indent + " spaces, expected " + top.ChildIndent + ")"); continue; }

            var field = ParseField(words, lineNo);
            if (field == null) continue;
            top.Spec.Fields.Add(field);
            if (field.Primitive == PrimitiveKind.None)
            {
                var inline = new StructSpec { Name = field.StructName, Line = lineNo };
                pending.Add(new KeyValuePair<FieldSpec, StructSpec>(field, inline));
                stack.Add(new Frame(inline, indent + 2));
            }
        }
        if (current != null) Finish(current, pending, declared);
        return messages;
    }

    /// <summary>Registers inline structs and checks that every struct-typed field names a known struct.</summary>
    private void Finish(MessageSpec message, List<KeyValuePair<FieldSpec, StructSpec>> pending, List<StructSpec> declared)
    {
        var byName = new Dictionary<string, StructSpec>(StringComparer.Ordinal);
        foreach (var s in declared) Register(message, byName, s);
        foreach (var p in pending)
            if (p.Value.Fields.Count > 0) Register(message, byName, p.Value);
        foreach (var p in pending)
        {
            if (p.Value.Fields.Count == 0 && !byName.ContainsKey(p.Key.StructName))
                Error(p.Key.Line, "struct '" + p.Key.StructName + "' has no fields and no 'struct' block declares it");
        }
        var topNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in message.Root.Fields) topNames.Add(f.Name);
        foreach (var s in message.Structs)
        {
            if (topNames.Contains(s.Name)) Error(s.Line, "struct '" + s.Name + "' has the name of a field of " + message.ClassName + "; rename the struct");
            if (s.Name == message.ClassName) Error(s.Line, "struct '" + s.Name + "' has the name of its message");
            foreach (var f in s.Fields)
                if (f.Name == s.Name) Error(f.Line, "field '" + f.Name + "' has the name of its struct; rename the struct");
        }
        CheckTags(message, message.Root);
        foreach (var s in message.Structs) CheckTags(message, s);
    }

    private void Register(MessageSpec message, Dictionary<string, StructSpec> byName, StructSpec s)
    {
        if (byName.ContainsKey(s.Name)) { Error(s.Line, "struct '" + s.Name + "' is declared twice in " + message.ClassName); return; }
        byName.Add(s.Name, s);
        message.Structs.Add(s);
    }

    private void CheckTags(MessageSpec message, StructSpec s)
    {
        var tags = new HashSet<int>();
        foreach (var f in s.Fields)
        {
            if (!f.IsTagged) continue;
            if (!tags.Add(f.Tag)) Error(f.Line, "tag " + f.Tag + " used twice in " + s.Name);
            if (!f.HasExplicitTaggedVersions) f.TaggedVersions = f.Versions.Intersect(message.Flexible);
            if (f.TaggedVersions.IsEmpty) Error(f.Line, "tagged field '" + f.Name + "' is in no flexible version");
        }
    }

    private MessageSpec? ParseMessageLine(string[] words, int lineNo)
    {
        if (words.Length < 2 || (words[0] != "request" && words[0] != "response" && words[0] != "header" && words[0] != "record"))
        {
            Error(lineNo, "expected 'request|response|header|record <Name> key=N v=R flex=R'");
            return null;
        }
        var m = new MessageSpec { Kind = words[0], Name = words[1], File = _file, Versions = VersionRange.Empty };
        m.Root.Name = m.ClassName;
        m.Root.Line = lineNo;
        bool sawVersions = false;
        for (int i = 2; i < words.Length; i++)
        {
            string w = words[i];
            if (w.StartsWith("key=", StringComparison.Ordinal)) m.ApiKey = ParseInt(w.Substring(4), lineNo);
            else if (w.StartsWith("v=", StringComparison.Ordinal)) { m.Versions = ParseRange(w.Substring(2), lineNo); sawVersions = true; }
            else if (w.StartsWith("flex=", StringComparison.Ordinal)) m.Flexible = ParseRange(w.Substring(5), lineNo);
            else Error(lineNo, "unknown message attribute '" + w + "'");
        }
        if (!sawVersions || m.Versions.IsEmpty || m.Versions.Highest == VersionRange.Open) Error(lineNo, "a message needs a closed version range v=L-H");
        if ((m.Kind == "request" || m.Kind == "response") && m.ApiKey < 0) Error(lineNo, "a request or response needs key=N");
        return m;
    }

    private FieldSpec? ParseField(string[] words, int lineNo)
    {
        if (words.Length < 2) { Error(lineNo, "a field is '<Name> <type> [attributes]'"); return null; }
        var f = new FieldSpec { Name = words[0], TypeText = words[1], Line = lineNo };
        string type = words[1];
        if (type.StartsWith("[]", StringComparison.Ordinal)) { f.IsArray = true; type = type.Substring(2); }
        f.Primitive = PrimitiveOf(type);
        if (f.Primitive == PrimitiveKind.None)
        {
            if (type.Length == 0 || !char.IsUpper(type[0])) { Error(lineNo, "unknown type '" + words[1] + "'"); return null; }
            f.StructName = type;
        }
        if (f.IsArray && f.Primitive == PrimitiveKind.Records) Error(lineNo, "records cannot be an array element");
        for (int i = 2; i < words.Length; i++)
        {
            string w = words[i];
            if (w.StartsWith("v=", StringComparison.Ordinal)) f.Versions = ParseRange(w.Substring(2), lineNo);
            else if (w.StartsWith("null=", StringComparison.Ordinal)) f.NullableVersions = ParseRange(w.Substring(5), lineNo);
            else if (w.StartsWith("tagv=", StringComparison.Ordinal)) { f.TaggedVersions = ParseRange(w.Substring(5), lineNo); f.HasExplicitTaggedVersions = true; }
            else if (w.StartsWith("tag=", StringComparison.Ordinal)) f.Tag = ParseInt(w.Substring(4), lineNo);
            else if (w.StartsWith("default=", StringComparison.Ordinal)) f.Default = w.Substring(8);
            else if (w == "noflex") f.NoFlex = true;
            else if (w == "ignorable") { }
            else Error(lineNo, "unknown field attribute '" + w + "'");
        }
        if (!f.NullableVersions.IsEmpty && !f.IsArray && IsFixedWidth(f.Primitive))
            Error(lineNo, "a " + type + " cannot be nullable");
        if (f.NoFlex && f.Primitive != PrimitiveKind.String) Error(lineNo, "noflex applies to strings only");
        if (f.Default != null) CheckDefault(f, lineNo);
        return f;
    }

    private void CheckDefault(FieldSpec f, int lineNo)
    {
        string d = f.Default!;
        if (d == "null")
        {
            if (f.NullableVersions.IsEmpty) Error(lineNo, "default=null on a field that is never nullable");
            return;
        }
        if (f.IsArray || f.Primitive == PrimitiveKind.None || f.Primitive == PrimitiveKind.Bytes || f.Primitive == PrimitiveKind.Records || f.Primitive == PrimitiveKind.Uuid)
        {
            Error(lineNo, "only null is allowed as the default of a " + f.TypeText);
            return;
        }
        if (f.Primitive == PrimitiveKind.Bool) { if (d != "true" && d != "false") Error(lineNo, "a bool default is true or false"); return; }
        if (f.Primitive == PrimitiveKind.String) { if (d.Length < 2 || d[0] != '"' || d[d.Length - 1] != '"') Error(lineNo, "a string default is in double quotes"); return; }
        if (f.Primitive == PrimitiveKind.Float64) { if (!double.TryParse(d, NumberStyles.Float, CultureInfo.InvariantCulture, out _)) Error(lineNo, "bad float default"); return; }
        if (!TryParseLong(d, out _)) Error(lineNo, "bad integer default '" + d + "'");
    }

    internal static bool TryParseLong(string text, out long value)
    {
        bool negative = text.StartsWith("-", StringComparison.Ordinal);
        string body = negative ? text.Substring(1) : text;
        bool ok = body.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? long.TryParse(body.Substring(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out value)
            : long.TryParse(body, NumberStyles.None, CultureInfo.InvariantCulture, out value);
        if (negative) value = -value;
        return ok;
    }

    internal static bool IsFixedWidth(PrimitiveKind p) =>
        p == PrimitiveKind.Bool || p == PrimitiveKind.Int8 || p == PrimitiveKind.Int16 || p == PrimitiveKind.UInt16 || p == PrimitiveKind.Int32
        || p == PrimitiveKind.UInt32 || p == PrimitiveKind.Int64 || p == PrimitiveKind.Float64 || p == PrimitiveKind.Uuid;

    private static PrimitiveKind PrimitiveOf(string type)
    {
        switch (type)
        {
            case "bool": return PrimitiveKind.Bool;
            case "int8": return PrimitiveKind.Int8;
            case "int16": return PrimitiveKind.Int16;
            case "uint16": return PrimitiveKind.UInt16;
            case "int32": return PrimitiveKind.Int32;
            case "uint32": return PrimitiveKind.UInt32;
            case "int64": return PrimitiveKind.Int64;
            case "float64": return PrimitiveKind.Float64;
            case "string": return PrimitiveKind.String;
            case "bytes": return PrimitiveKind.Bytes;
            case "uuid": return PrimitiveKind.Uuid;
            case "records": return PrimitiveKind.Records;
            default: return PrimitiveKind.None;
        }
    }

    private VersionRange ParseRange(string text, int lineNo)
    {
        if (text == "none") return VersionRange.Empty;
        if (text.EndsWith("+", StringComparison.Ordinal)) return new VersionRange(ParseInt(text.Substring(0, text.Length - 1), lineNo), VersionRange.Open);
        int dash = text.IndexOf('-');
        if (dash > 0) return new VersionRange(ParseInt(text.Substring(0, dash), lineNo), ParseInt(text.Substring(dash + 1), lineNo));
        int v = ParseInt(text, lineNo);
        return new VersionRange(v, v);
    }

    private int ParseInt(string text, int lineNo)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 0) return v;
        Error(lineNo, "expected a non-negative number, got '" + text + "'");
        return 0;
    }

    private void Error(int line, string message) => _errors.Add(new SchemaError(_file, line, message));
}
