using System.Buffers.Binary;

namespace Gregor.Protocol.Records;

/// <summary>The type a control record's key carries.</summary>
public enum ControlRecordType : short
{
    /// <summary>Transaction marker: the producer's transaction was aborted.</summary>
    Abort = 0,

    /// <summary>Transaction marker: the producer's transaction was committed.</summary>
    Commit = 1,

    // Raft (metadata log) control records.
    LeaderChange = 2,
    SnapshotHeader = 3,
    SnapshotFooter = 4,
    KRaftVersion = 5,
    KRaftVoters = 6,
}

/// <summary>
/// The key every control record carries (version int16, type int16) and the value of an
/// end-transaction marker (version int16, coordinator epoch int32). Newer versions may append
/// fields, so readers accept longer keys and values and ignore the rest.
/// </summary>
public static class ControlRecord
{
    public const int KeySize = 4;
    public const short CurrentKeyVersion = 0;

    public const int EndTransactionMarkerValueSize = 6;
    public const short CurrentEndTransactionMarkerVersion = 0;

    public static void WriteKey(Span<byte> destination, ControlRecordType type, short version = CurrentKeyVersion)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, version);
        BinaryPrimitives.WriteInt16BigEndian(destination[2..], (short)type);
    }

    /// <summary>Reads a control record key; false when it is shorter than 4 bytes or its version is negative.</summary>
    public static bool TryReadKey(ReadOnlySpan<byte> key, out short version, out ControlRecordType type)
    {
        if (key.Length < KeySize)
        {
            version = 0;
            type = default;
            return false;
        }
        version = BinaryPrimitives.ReadInt16BigEndian(key);
        type = (ControlRecordType)BinaryPrimitives.ReadInt16BigEndian(key[2..]);
        return version >= 0;
    }

    public static void WriteEndTransactionMarkerValue(Span<byte> destination, int coordinatorEpoch, short version = CurrentEndTransactionMarkerVersion)
    {
        BinaryPrimitives.WriteInt16BigEndian(destination, version);
        BinaryPrimitives.WriteInt32BigEndian(destination[2..], coordinatorEpoch);
    }

    /// <summary>Reads an end-transaction marker value; false when shorter than 6 bytes or its version is negative.</summary>
    public static bool TryReadEndTransactionMarkerValue(ReadOnlySpan<byte> value, out short version, out int coordinatorEpoch)
    {
        if (value.Length < EndTransactionMarkerValueSize)
        {
            version = 0;
            coordinatorEpoch = 0;
            return false;
        }
        version = BinaryPrimitives.ReadInt16BigEndian(value);
        coordinatorEpoch = BinaryPrimitives.ReadInt32BigEndian(value[2..]);
        return version >= 0;
    }

    public static bool IsTransactionMarker(ControlRecordType type) => type is ControlRecordType.Abort or ControlRecordType.Commit;
}
