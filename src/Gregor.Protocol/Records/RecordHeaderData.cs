namespace Gregor.Protocol.Records;

/// <summary>A header to write: a key (encoded as UTF-8) and a value that may be null.</summary>
public readonly record struct RecordHeaderData(string Key, ReadOnlyMemory<byte>? Value);
