using Gregor.Protocol.Records;

namespace Gregor.Storage;

/// <summary>Base of the errors the log reports to its caller; each maps to one Kafka error code.</summary>
public abstract class StorageException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A batch failed framing or CRC checks (Kafka CORRUPT_MESSAGE).</summary>
public sealed class CorruptRecordException(string message, RecordBatchError error = RecordBatchError.None) : StorageException(message)
{
    /// <summary>The records validator's finding, or <see cref="RecordBatchError.None"/> when the log found the problem itself.</summary>
    public RecordBatchError Error { get; } = error;
}

/// <summary>A batch is well framed but not acceptable here (Kafka INVALID_RECORD).</summary>
public sealed class InvalidRecordException(string message, RecordBatchError error = RecordBatchError.None) : StorageException(message)
{
    /// <summary>The records validator's finding, or <see cref="RecordBatchError.None"/> when the log found the problem itself.</summary>
    public RecordBatchError Error { get; } = error;
}

/// <summary>A batch is bigger than max.message.bytes (Kafka MESSAGE_TOO_LARGE).</summary>
public sealed class RecordTooLargeException(string message, RecordBatchError error = RecordBatchError.BatchTooLarge) : StorageException(message)
{
    public RecordBatchError Error { get; } = error;
}

/// <summary>A read or lookup asked for an offset outside [log start, log end] (Kafka OFFSET_OUT_OF_RANGE).</summary>
public sealed class OffsetOutOfRangeException(string message) : StorageException(message);

/// <summary>A replicated append whose offsets do not follow the log end (Kafka UNEXPECTED_APPEND_OFFSET / out of order).</summary>
public sealed class UnexpectedAppendOffsetException(string message, long firstOffset, long lastOffset) : StorageException(message)
{
    public long FirstOffset { get; } = firstOffset;
    public long LastOffset { get; } = lastOffset;
}

/// <summary>A topic config value outside its valid range (Kafka INVALID_CONFIG).</summary>
public sealed class InvalidLogConfigException(string name, string message) : StorageException(name + ": " + message)
{
    public string Name { get; } = name;
}

/// <summary>The log was closed or its directory failed; nothing more can be appended.</summary>
public sealed class LogClosedException(string message) : StorageException(message);
