namespace Gregor.Storage;

/// <summary>The <c>cleanup.policy</c> list: <c>delete</c>, <c>compact</c>, or both.</summary>
[Flags]
public enum CleanupPolicy
{
    Delete = 1,
    Compact = 2,
}

/// <summary>The <c>message.timestamp.type</c> of a topic.</summary>
public enum MessageTimestampType
{
    /// <summary>Keep the producer's timestamps.</summary>
    CreateTime,

    /// <summary>The broker stamps each batch with its append time.</summary>
    LogAppendTime,
}
