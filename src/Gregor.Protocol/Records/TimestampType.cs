namespace Gregor.Protocol.Records;

/// <summary>Where a batch's timestamps come from: the producer, or the broker when it appended the batch.</summary>
public enum TimestampType : byte
{
    CreateTime = 0,
    LogAppendTime = 1,
}
