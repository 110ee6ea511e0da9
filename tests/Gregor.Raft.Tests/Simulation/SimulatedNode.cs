using System.Buffers.Binary;

namespace Gregor.Raft.Tests.Simulation;

/// <summary>
/// One simulated process: its durable parts (log, quorum state) outlive crashes; the Raft node and the state
/// machine it feeds (the list of committed batches, applied in order) are rebuilt on every restart.
/// </summary>
internal sealed class SimulatedNode(int id, bool lyingFlush)
{
    public int Id { get; } = id;
    public MemoryRaftLog Log { get; } = new() { LyingFlush = lyingFlush };
    public MemoryQuorumStateStore Store { get; } = new();
    public RaftNode? Raft { get; set; }
    public bool Paused { get; set; }
    public int Incarnation { get; set; }
    public List<RaftEnvelope> HeldWhilePaused { get; } = [];

    /// <summary>The state machine: every committed batch below <see cref="AppliedEnd"/>, by base offset.</summary>
    public List<AppliedBatch> Applied { get; } = [];
    public long AppliedEnd { get; set; }
    public long LastHighWatermark { get; set; }
    public int SnapshotsInstalledSeen { get; set; }
    public string LastState { get; set; } = "";

    public bool IsUp => Raft is not null;

    /// <summary>Rebuilds the state machine from the log's snapshot, as a restarted process would.</summary>
    public void LoadStateFromSnapshot()
    {
        Applied.Clear();
        AppliedEnd = 0;
        if (Log.LatestSnapshot is SnapshotId snapshot)
        {
            Applied.AddRange(DecodeState(Log.SnapshotContent));
            AppliedEnd = snapshot.EndOffset;
        }
    }

    public static byte[] EncodeState(IReadOnlyList<AppliedBatch> batches)
    {
        var bytes = new byte[4 + batches.Count * 21];
        BinaryPrimitives.WriteInt32BigEndian(bytes, batches.Count);
        int at = 4;
        foreach (var b in batches)
        {
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at), b.Offset);
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(at + 8), b.Epoch);
            BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(at + 12), b.Value);
            bytes[at + 20] = b.IsControl ? (byte)1 : (byte)0;
            at += 21;
        }
        return bytes;
    }

    public static List<AppliedBatch> DecodeState(ReadOnlySpan<byte> bytes)
    {
        int count = BinaryPrimitives.ReadInt32BigEndian(bytes);
        var result = new List<AppliedBatch>(count);
        int at = 4;
        for (int i = 0; i < count; i++, at += 21)
            result.Add(new AppliedBatch(
                BinaryPrimitives.ReadInt64BigEndian(bytes[at..]),
                BinaryPrimitives.ReadInt32BigEndian(bytes[(at + 8)..]),
                BinaryPrimitives.ReadInt64BigEndian(bytes[(at + 12)..]),
                bytes[at + 20] == 1));
        return result;
    }
}

/// <summary>A committed batch as the state machine keeps it: where, in which epoch, and the value it carried (−1 for a control batch).</summary>
internal readonly record struct AppliedBatch(long Offset, int Epoch, long Value, bool IsControl);
