namespace Gregor.Client;

/// <summary>What a record carries besides its key and value.</summary>
public class MessageMetadata
{
    /// <summary>Default (unset): the producer stamps the current time (CreateTime).</summary>
    public Timestamp Timestamp { get; set; }

    public Headers? Headers { get; set; }
}

/// <summary>A record to produce or one consumed: key, value, headers and timestamp.</summary>
public class Message<TKey, TValue> : MessageMetadata
{
    public TKey Key { get; set; } = default!;

    public TValue Value { get; set; } = default!;
}
