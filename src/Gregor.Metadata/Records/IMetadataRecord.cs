using Gregor.Protocol.Messages;

namespace Gregor.Metadata.Records;

/// <summary>
/// One record of the metadata log. The classes are generated from Schemas/MetadataRecords.schema;
/// these partial declarations give each its record type so the codec and the fold can dispatch on it.
/// </summary>
public interface IMetadataRecord : IProtocolStruct
{
    /// <summary>Kafka's metadata record type number (the schema's key).</summary>
    short RecordType { get; }

    /// <summary>The version this build writes.</summary>
    short CurrentVersion { get; }
}

public sealed partial class RegisterBrokerRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class TopicRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class PartitionRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class ConfigRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class RemoveTopicRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class UnregisterBrokerRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class PartitionChangeRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class FenceBrokerRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class UnfenceBrokerRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class FeatureLevelRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class ProducerIdsRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class BrokerRegistrationChangeRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}

public sealed partial class NoOpRecord : IMetadataRecord
{
    public short RecordType => ApiKeyId;
    public short CurrentVersion => HighestSupportedVersion;
}
