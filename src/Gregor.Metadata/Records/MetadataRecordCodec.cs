using System.Buffers.Binary;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Records;

/// <summary>
/// A metadata record's stored form: record type (int16, big-endian), version (int16), then the
/// record's fields in that version. The type and version in front let a reader refuse what it
/// does not know instead of misreading it.
/// </summary>
public static class MetadataRecordCodec
{
    private const int PrefixSize = 4;

    public static int Size(IMetadataRecord record) => PrefixSize + record.Size(record.CurrentVersion);

    public static void Write(IMetadataRecord record, Span<byte> destination)
    {
        short version = record.CurrentVersion;
        BinaryPrimitives.WriteInt16BigEndian(destination, record.RecordType);
        BinaryPrimitives.WriteInt16BigEndian(destination[2..], version);
        var writer = new ProtocolWriter(destination[PrefixSize..]);
        record.Write(ref writer, version);
    }

    public static byte[] Encode(IMetadataRecord record)
    {
        var bytes = new byte[Size(record)];
        Write(record, bytes);
        return bytes;
    }

    /// <summary>Decodes one stored record; an unknown type or version, or bytes left over, is a <see cref="MalformedMessageException"/>.</summary>
    public static IMetadataRecord Decode(ReadOnlyMemory<byte> bytes)
    {
        if (bytes.Length < PrefixSize)
            throw new MalformedMessageException($"a metadata record of {bytes.Length} bytes is shorter than its type and version");
        short type = BinaryPrimitives.ReadInt16BigEndian(bytes.Span);
        short version = BinaryPrimitives.ReadInt16BigEndian(bytes.Span[2..]);
        var reader = new ProtocolReader(bytes[PrefixSize..]);
        IMetadataRecord record = type switch
        {
            RegisterBrokerRecord.ApiKeyId => RegisterBrokerRecord.Read(ref reader, version),
            UnregisterBrokerRecord.ApiKeyId => UnregisterBrokerRecord.Read(ref reader, version),
            TopicRecord.ApiKeyId => TopicRecord.Read(ref reader, version),
            PartitionRecord.ApiKeyId => PartitionRecord.Read(ref reader, version),
            ConfigRecord.ApiKeyId => ConfigRecord.Read(ref reader, version),
            PartitionChangeRecord.ApiKeyId => PartitionChangeRecord.Read(ref reader, version),
            FenceBrokerRecord.ApiKeyId => FenceBrokerRecord.Read(ref reader, version),
            UnfenceBrokerRecord.ApiKeyId => UnfenceBrokerRecord.Read(ref reader, version),
            RemoveTopicRecord.ApiKeyId => RemoveTopicRecord.Read(ref reader, version),
            FeatureLevelRecord.ApiKeyId => FeatureLevelRecord.Read(ref reader, version),
            ProducerIdsRecord.ApiKeyId => ProducerIdsRecord.Read(ref reader, version),
            BrokerRegistrationChangeRecord.ApiKeyId => BrokerRegistrationChangeRecord.Read(ref reader, version),
            NoOpRecord.ApiKeyId => NoOpRecord.Read(ref reader, version),
            _ => throw new MalformedMessageException($"metadata record type {type} is unknown to this version of Gregor"),
        };
        if (reader.Remaining != 0)
            throw new MalformedMessageException($"{reader.Remaining} bytes left over after metadata record type {type} v{version}");
        return record;
    }
}
