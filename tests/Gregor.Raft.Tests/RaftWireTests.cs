using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using W = Gregor.Protocol.Messages;

namespace Gregor.Raft.Tests;

/// <summary>The core's messages through Kafka's KRaft RPCs and back, at every version, encoded and decoded on the way.</summary>
public sealed class RaftWireTests
{
    private static T Trip<T>(T message, short version) where T : IProtocolMessage<T>
    {
        var bytes = new byte[message.Size(version)];
        var writer = new ProtocolWriter(bytes);
        message.Write(ref writer, version);
        var reader = new ProtocolReader(bytes);
        var read = T.Read(ref reader, version);
        Assert.Equal(0, reader.Remaining);
        return read;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void Vote(short version)
    {
        var request = new VoteRequest(7, 2, new OffsetAndEpoch(120, 6), PreVote: version >= 2);
        var wire = Trip(RaftWire.ToWire(request, "cluster", 3), version);
        Assert.Equal("cluster", wire.ClusterId);
        Assert.Equal(request, RaftWire.FromWire(wire, out var error));
        Assert.Equal(ErrorCode.None, error);
        var answer = new VoteResponse(ErrorCode.None, 7, -1, true, request.PreVote);
        Assert.Equal(answer, RaftWire.FromWire(Trip(RaftWire.ToWire(answer), version), request.PreVote));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void QuorumEpochs(short version)
    {
        var begin = new BeginQuorumEpochRequest(5, 1);
        Assert.Equal(begin, RaftWire.FromWire(Trip(RaftWire.ToWire(begin, "c", 2), version), out _));
        var begun = new BeginQuorumEpochResponse(ErrorCode.FencedLeaderEpoch, 6, 3);
        Assert.Equal(begun, RaftWire.FromWire(Trip(RaftWire.ToWire(begun), version)));
        var end = new EndQuorumEpochRequest(5, 1, [3, 2]);
        var read = RaftWire.FromWire(Trip(RaftWire.ToWire(end, "c"), version), version, out _)!;
        Assert.Equal((end.Epoch, end.LeaderId), (read.Epoch, read.LeaderId));
        Assert.Equal(end.PreferredSuccessors, read.PreferredSuccessors);
        var ended = new EndQuorumEpochResponse(ErrorCode.None, 5, -1);
        Assert.Equal(ended, RaftWire.FromWire(Trip(RaftWire.ToWire(ended), version)));
    }

    [Theory]
    [InlineData(12)]
    [InlineData(13)]
    [InlineData(15)]
    [InlineData(17)]
    public void Fetch(short version)
    {
        var request = new FetchRequest(0, 4, 2, 10, 3, 1 << 20, 500);
        var wire = Trip(RaftWire.ToWire(request, "c", version), version);
        Assert.True(RaftWire.IsMetadataFetch(wire, version));
        Assert.Equal(request, RaftWire.FromWire(wire, version, out var error));
        Assert.Equal(ErrorCode.None, error);

        var batches = new[]
        {
            new RaftBatch(10, 4, 2, false, Stamp(FileRaftLogTests.Batch(2, 1), 10, 4)),
            new RaftBatch(12, 4, 1, true, Stamp(FileRaftLogTests.Batch(1, 2, control: true), 12, 4)),
        };
        var answer = new FetchResponse(9, ErrorCode.None, 1, 4, 11, batches, null, null);
        var back = RaftWire.FromWire(Trip(RaftWire.ToWire(answer, version), version), 9, 1 << 20)!;
        {
            Assert.Equal((answer.LeaderId, answer.LeaderEpoch), (back.LeaderId, back.LeaderEpoch));
            var diverging = answer with { Batches = [], DivergingEpoch = new OffsetAndEpoch(8, 3) };
            Assert.Equal(new OffsetAndEpoch(8, 3), RaftWire.FromWire(Trip(RaftWire.ToWire(diverging, version), version), 9, 1 << 20)!.DivergingEpoch);
            var snapshot = answer with { Batches = [], SnapshotId = new SnapshotId(100, 3) };
            Assert.Equal(new SnapshotId(100, 3), RaftWire.FromWire(Trip(RaftWire.ToWire(snapshot, version), version), 9, 1 << 20)!.SnapshotId);
        }
        Assert.Equal(11, back.HighWatermark);
        Assert.Equal([(10L, 4, 2, false), (12L, 4, 1, true)], back.Batches.Select(b => (b.BaseOffset, b.Epoch, b.RecordCount, b.IsControl)));
    }

    [Fact]
    public void AFetchOfAnotherTopicIsNotTheQuorums()
    {
        Assert.Null(RaftWire.FromWire(RaftWire.ToWire(new FetchRequest(0, 1, 2, 0, 0, 100, 0), "c", 11), 11, out var old));
        Assert.Equal(ErrorCode.UnsupportedVersion, old);
        var wire = RaftWire.ToWire(new FetchRequest(0, 1, 2, 0, 0, 100, 0), "c", 17);
        wire.Topics[0].TopicId = KafkaUuid.NewRandom(new Random(1));
        Assert.False(RaftWire.IsMetadataFetch(wire, 17));
        var consumer = RaftWire.ToWire(new FetchRequest(0, 1, -1, 0, 0, 100, 0), "c", 17);
        Assert.Null(RaftWire.FromWire(consumer, 17, out var error));
        Assert.Equal(ErrorCode.InvalidRequest, error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void FetchSnapshot(short version)
    {
        var request = new FetchSnapshotRequest(0, 3, 2, new SnapshotId(50, 2), 1024, 4096);
        Assert.Equal(request, RaftWire.FromWire(Trip(RaftWire.ToWire(request, "c"), version), out _));
        var answer = new FetchSnapshotResponse(4, ErrorCode.None, 1, 3, new SnapshotId(50, 2), 5000, 1024, new byte[] { 1, 2, 3 });
        var back = RaftWire.FromWire(Trip(RaftWire.ToWire(answer), version), 4)!;
        Assert.Equal((answer.SnapshotId, answer.Size, answer.Position, answer.LeaderId), (back.SnapshotId, back.Size, back.Position, back.LeaderId));
        Assert.Equal(new byte[] { 1, 2, 3 }, back.Bytes.ToArray());
    }

    private static byte[] Stamp(byte[] batch, long baseOffset, int epoch)
    {
        Protocol.Records.RecordBatchHeader.SetBaseOffset(batch, baseOffset);
        Protocol.Records.RecordBatchHeader.SetPartitionLeaderEpoch(batch, epoch);
        return batch;
    }
}
