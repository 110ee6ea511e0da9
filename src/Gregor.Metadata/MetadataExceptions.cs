namespace Gregor.Metadata;

/// <summary>The metadata log holds something this broker cannot fold: it refuses to start rather than guess.</summary>
public sealed class MetadataLogCorruptException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A log dir's meta.properties disagrees with this broker (another cluster's or another node's data).</summary>
public sealed class MetaPropertiesMismatchException(string message) : Exception(message);

/// <summary>
/// An append or fsync of the metadata log failed. What the log holds may now differ from what was published, so the
/// node must stop (as Kafka halts) and recover from the log on restart; every later append refuses with this.
/// </summary>
public sealed class MetadataLogFailedException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One controller operation would not fit in one metadata log batch.</summary>
public sealed class MetadataOperationTooLargeException(string message) : Exception(message);

/// <summary><c>gregor storage format</c> cannot format: a bad cluster id, no dirs, or a dir already formatted.</summary>
public sealed class StorageFormatException(string message) : Exception(message);
