namespace Gregor.Protocol.Compression;

/// <summary>
/// The codec of a record batch: the low three bits of the batch attributes, numbered as Kafka
/// numbers them. Values 5 to 7 are not defined.
/// </summary>
public enum CompressionType : byte
{
    None = 0,
    Gzip = 1,
    Snappy = 2,
    Lz4 = 3,
    Zstd = 4,
}
