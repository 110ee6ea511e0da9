using System.Collections.Immutable;
using Gregor.Broker.Configuration;
using Gregor.Broker.Replication;
using Gregor.Broker.Replication.Fetching;
using Gregor.Metadata;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using Gregor.Storage;

namespace Gregor.Broker.Tests.Replication;

/// <summary>
/// A broker that became leader of an epoch and appended nothing under it, then follows a leader that never had that
/// epoch (found by the replication simulation, seed 11): truncating to its own log end must still drop the epoch, or
/// every fetch names it as the last fetched epoch, the leader answers the same diverging epoch, and the follower never
/// fetches again (never rejoining the ISR).
/// </summary>
public sealed class FollowerEmptyEpochTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "gregor-empty-epoch-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public void A_truncation_at_the_log_end_drops_an_epoch_led_with_nothing_appended()
    {
        using PartitionLog log = PartitionLog.Open(_directory);
        var partition = new HostedPartition(new TopicPartition("t", 0), KafkaUuid.Zero, _directory, log,
            TopicSettings.From(new Dictionary<string, string>(), BrokerConfigParser.Parse([])), nodeId: 2);
        // Follows broker 1 at epoch 1 and copies one batch of that epoch.
        partition.UpdateState(Image(leader: 1, leaderEpoch: 1), 0);
        Assert.NotNull(partition.AppendAsFollower(Batch(epoch: 1).Span, 1));
        // Leads epoch 2 from offset 1, and nothing is appended before broker 3 takes over at epoch 3.
        partition.UpdateState(Image(leader: 2, leaderEpoch: 2), 0);
        Assert.Equal(2, log.LatestEpoch);
        partition.UpdateState(Image(leader: 3, leaderEpoch: 3), 0);

        // Broker 3's log: epoch 1 ends at 1, then its own epoch 3. Asked about epoch 2, it answers (1, 1).
        TruncationDecision? decision = ReplicaFetcher.ApplyTruncation(partition, followedEpoch: 3, leaderEpoch: 1, leaderEndOffset: 1);

        Assert.Equal(new TruncationDecision(1, true), decision);
        Assert.Equal(1, log.LogEndOffset);
        // The next fetch names epoch 1, which ends at the fetch offset in the leader's log: no divergence.
        Assert.Equal(1, log.LatestEpoch);
    }

    private static PartitionImage Image(int leader, int leaderEpoch) =>
        new(0, leader, leaderEpoch, leaderEpoch, ImmutableArray.Create(1, 2, 3), ImmutableArray.Create(1, 2, 3));

    private static ReadOnlyMemory<byte> Batch(int epoch)
    {
        using var builder = new RecordBatchBuilder { PartitionLeaderEpoch = epoch };
        builder.Append(1_700_000_000_000, NullableBytes.Null, new byte[] { 1, 2, 3 });
        return builder.Build().ToArray();
    }

    public void Dispose()
    {
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }
}
