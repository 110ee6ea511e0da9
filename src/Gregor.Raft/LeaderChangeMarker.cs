using System.Buffers.Binary;

namespace Gregor.Raft;

/// <summary>
/// The payload of the control batch a new leader appends first in its epoch: the leader's id and the voters
/// that elected it (the facts of Kafka's LeaderChangeMessage). Version 0: int16 version, int32 leader,
/// int32 count, count × int32 voter ids, big-endian.
/// </summary>
public static class LeaderChangeMarker
{
    private const short Version = 0;
    private const int MaxVoters = 1024;

    public static byte[] Encode(int leaderId, IReadOnlyList<int> voters)
    {
        ArgumentNullException.ThrowIfNull(voters);
        if (voters.Count > MaxVoters) throw new ArgumentException($"more than {MaxVoters} voters", nameof(voters));
        var bytes = new byte[2 + 4 + 4 + 4 * voters.Count];
        BinaryPrimitives.WriteInt16BigEndian(bytes, Version);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(2), leaderId);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(6), voters.Count);
        for (int i = 0; i < voters.Count; i++)
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(10 + 4 * i), voters[i]);
        return bytes;
    }

    /// <summary>Reads a marker; false when the bytes are not one this version wrote.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> bytes, out int leaderId, out int[] voters)
    {
        leaderId = -1;
        voters = [];
        if (bytes.Length < 10 || BinaryPrimitives.ReadInt16BigEndian(bytes) != Version) return false;
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes[6..]);
        if (count < 0 || count > MaxVoters || bytes.Length != 10 + 4 * count) return false;
        leaderId = BinaryPrimitives.ReadInt32BigEndian(bytes[2..]);
        voters = new int[count];
        for (int i = 0; i < count; i++) voters[i] = BinaryPrimitives.ReadInt32BigEndian(bytes[(10 + 4 * i)..]);
        return true;
    }
}
