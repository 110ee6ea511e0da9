using System.Collections;
using System.Reflection;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Tests.Messages;

/// <summary>
/// Builds messages with random values in every field a version carries (and defaults in the rest),
/// driven by the generated descriptors, and compares two messages field by field for a version.
/// </summary>
internal sealed class RandomMessages
{
    private readonly Random _random;
    private readonly MessageDescriptor _message;
    private readonly Dictionary<string, StructDescriptor> _structs;
    private readonly int _arrayLengths;
    private readonly int _blobLengths;

    public RandomMessages(MessageDescriptor message, int seed)
        : this(message, seed, arrayLengths: 4, blobLengths: 12)
    {
    }

    /// <summary>
    /// Arrays get up to <paramref name="arrayLengths"/> - 1 elements, strings and bytes up to
    /// <paramref name="blobLengths"/> - 1; few short values make the densest input (most
    /// allocation per wire byte), which is what the allocation bounds must hold for.
    /// </summary>
    public RandomMessages(MessageDescriptor message, int seed, int arrayLengths, int blobLengths)
    {
        _random = new Random(seed);
        _message = message;
        _structs = message.Structs.ToDictionary(s => s.Name);
        _arrayLengths = arrayLengths;
        _blobLengths = blobLengths;
    }

    public object Create(short version) => Fill(_message.Root, version, depth: 0);

    private object Fill(StructDescriptor s, short version, int depth)
    {
        object instance = Activator.CreateInstance(s.ClrType)!;
        foreach (var f in s.Fields)
        {
            if (!f.IsPresentIn(version)) continue;
            // Tagged fields are left at their default some of the time, so "absent" is exercised too.
            if (f.IsTagged && _random.Next(3) == 0) continue;
            var property = s.ClrType.GetProperty(f.Name)!;
            property.SetValue(instance, Value(f, property.PropertyType, version, depth));
        }
        return instance;
    }

    private object? Value(FieldDescriptor f, Type clrType, short version, int depth)
    {
        bool mayBeNull = f.IsNullableIn(version);
        if (mayBeNull && _random.Next(4) == 0) return null;
        if (f.IsArray)
        {
            var list = (IList)Activator.CreateInstance(clrType)!;
            int count = depth > 3 ? 0 : _random.Next(_arrayLengths);
            for (int i = 0; i < count; i++) list.Add(Element(f.ElementType, version, depth + 1));
            return list;
        }
        return Element(f.ElementType, version, depth + 1, clrType);
    }

    private object Element(string type, short version, int depth, Type? clrType = null)
    {
        switch (type)
        {
            case "bool": return _random.Next(2) == 1;
            case "int8": return (sbyte)_random.Next(sbyte.MinValue, sbyte.MaxValue + 1);
            case "int16": return (short)_random.Next(short.MinValue, short.MaxValue + 1);
            case "uint16": return (ushort)_random.Next(0, ushort.MaxValue + 1);
            case "int32": return _random.Next(int.MinValue, int.MaxValue);
            case "uint32": return (uint)_random.NextInt64(0, uint.MaxValue);
            case "int64": return _random.NextInt64(long.MinValue, long.MaxValue);
            case "float64": return _random.NextDouble() * 1e6;
            case "uuid": return KafkaUuid.NewRandom(_random);
            case "string": return RandomString();
            case "bytes": return RandomBytes();
            case "records": return (ReadOnlyMemory<byte>?)new ReadOnlyMemory<byte>(RandomBytes());
            default:
                return Fill(_structs[type], version, depth);
        }
    }

    private string RandomString()
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz-._0123456789é€";
        int length = _random.Next(0, _blobLengths);
        var chars = new char[length];
        for (int i = 0; i < length; i++) chars[i] = alphabet[_random.Next(alphabet.Length)];
        return new string(chars);
    }

    private byte[] RandomBytes()
    {
        var bytes = new byte[_random.Next(0, _blobLengths + 8)];
        _random.NextBytes(bytes);
        return bytes;
    }

    /// <summary>Lists every difference between two messages in the fields the version carries.</summary>
    public static List<string> Differences(MessageDescriptor message, object expected, object actual, short version)
    {
        var structs = message.Structs.ToDictionary(s => s.Name);
        var differences = new List<string>();
        Compare(message.Root, structs, expected, actual, version, message.Name, differences);
        return differences;
    }

    private static void Compare(StructDescriptor s, Dictionary<string, StructDescriptor> structs, object expected, object actual, short version, string path, List<string> differences)
    {
        foreach (var f in s.Fields)
        {
            var property = s.ClrType.GetProperty(f.Name, BindingFlags.Public | BindingFlags.Instance)!;
            object? e = property.GetValue(expected);
            object? a = property.GetValue(actual);
            string here = path + "." + f.Name;
            if (!f.IsPresentIn(version))
            {
                // Absent from this version: the decoder must leave the default, whatever the sender held.
                object? fresh = property.GetValue(Activator.CreateInstance(s.ClrType));
                if (!ValueEquals(fresh, a, f, structs, version, here, new List<string>()))
                    differences.Add(here + ": absent in v" + version + " but decoded as " + Show(a));
                continue;
            }
            ValueEquals(e, a, f, structs, version, here, differences);
        }
    }

    private static bool ValueEquals(object? e, object? a, FieldDescriptor f, Dictionary<string, StructDescriptor> structs, short version, string path, List<string> differences)
    {
        int before = differences.Count;
        if (e is null || a is null)
        {
            if (!(e is null && a is null)) differences.Add(path + ": expected " + Show(e) + ", got " + Show(a));
            return differences.Count == before;
        }
        if (f.IsArray)
        {
            var el = (IList)e;
            var al = (IList)a;
            if (el.Count != al.Count) { differences.Add(path + ": expected " + el.Count + " elements, got " + al.Count); return false; }
            for (int i = 0; i < el.Count; i++)
                ElementEquals(el[i], al[i], f.ElementType, structs, version, path + "[" + i + "]", differences);
            return differences.Count == before;
        }
        ElementEquals(e, a, f.ElementType, structs, version, path, differences);
        return differences.Count == before;
    }

    private static void ElementEquals(object? e, object? a, string type, Dictionary<string, StructDescriptor> structs, short version, string path, List<string> differences)
    {
        if (structs.TryGetValue(type, out var s))
        {
            if (e is null || a is null) { if (e != a) differences.Add(path + ": null mismatch"); return; }
            Compare(s, structs, e, a, version, path, differences);
            return;
        }
        bool equal = (e, a) switch
        {
            (byte[] x, byte[] y) => x.AsSpan().SequenceEqual(y),
            (ReadOnlyMemory<byte> x, ReadOnlyMemory<byte> y) => x.Span.SequenceEqual(y.Span),
            _ => Equals(e, a),
        };
        if (!equal) differences.Add(path + ": expected " + Show(e) + ", got " + Show(a));
    }

    private static string Show(object? value) => value switch
    {
        null => "null",
        byte[] b => Convert.ToHexString(b),
        ReadOnlyMemory<byte> m => Convert.ToHexString(m.Span),
        IList l => "[" + l.Count + " elements]",
        _ => value.ToString() ?? "?",
    };
}
