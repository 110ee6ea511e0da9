using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace Gregor.Client;

/// <summary>A record's headers in order; keys may repeat.</summary>
public sealed class Headers : IEnumerable<IHeader>
{
    private readonly List<IHeader> _headers = [];

    public int Count => _headers.Count;

    public IHeader this[int index] => _headers[index];

    public IReadOnlyList<IHeader> BackingList => _headers;

    public void Add(string key, byte[]? value) => _headers.Add(new Header(key, value));

    public void Add(IHeader header)
    {
        ArgumentNullException.ThrowIfNull(header);
        _headers.Add(header);
    }

    /// <summary>The value of the last header with this key; throws KeyNotFoundException when there is none.</summary>
    public byte[]? GetLastBytes(string key) =>
        TryGetLastBytes(key, out byte[]? value) ? value : throw new KeyNotFoundException($"no header with key '{key}'");

    public bool TryGetLastBytes(string key, out byte[]? lastHeader)
    {
        for (int i = _headers.Count - 1; i >= 0; i--)
        {
            if (_headers[i].Key == key)
            {
                lastHeader = _headers[i].GetValueBytes();
                return true;
            }
        }
        lastHeader = null;
        return false;
    }

    /// <summary>Removes every header with this key.</summary>
    public void Remove(string key) => _headers.RemoveAll(h => h.Key == key);

    public IEnumerator<IHeader> GetEnumerator() => _headers.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
