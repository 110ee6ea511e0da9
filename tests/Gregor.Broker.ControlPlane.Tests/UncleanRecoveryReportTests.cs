using Gregor.Broker.Handlers.Brokers;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Registration = Gregor.Metadata.Controller.BrokerRegistrationRequest;
using ControllerAlterPartition = Gregor.Metadata.Controller.AlterPartitionRequest;

namespace Gregor.Broker.ControlPlane.Tests;

/// <summary>
/// The unclean recovery's reports as they travel: in BrokerHeartbeat's Gregor-only tagged field, at every version, read
/// off the wire by the handler and given to the controller, which elects the replica whose log ends latest.
/// </summary>
public sealed class UncleanRecoveryReportTests : IDisposable
{
    private readonly BrokerFixture _f = new();
    private readonly Random _random = new(9);
    private readonly Dictionary<int, long> _epochs = [];

    public void Dispose() => _f.Dispose();

    private MetadataImage Image => _f.Publisher.Current;

    private PartitionImage Partition => Image.Topic("t")!.Partitions[0];

    private async Task RegisterAsync(int id)
    {
        var outcome = await _f.Controller.RegisterBrokerAsync(new Registration(id, Image.ClusterId, KafkaUuid.NewRandom(_random),
            [new BrokerEndpointInfo("PLAINTEXT", $"broker{id}", 9092, 0)], null));
        Assert.Equal(ErrorCode.None, outcome.Error);
        _epochs[id] = outcome.BrokerEpoch;
    }

    private Task<BrokerHeartbeatResponse> HeartbeatAsync(int id, short version, bool wantFence = false, params BrokerHeartbeatRequest.LeaderlessReplica[] reports) =>
        BrokerFixture.Call<BrokerHeartbeatRequest, BrokerHeartbeatResponse>(new BrokerHeartbeatHandler(_f.Controller), new BrokerHeartbeatRequest
        {
            BrokerId = id,
            BrokerEpoch = _epochs[id],
            CurrentMetadataOffset = Image.Offset,
            WantFence = wantFence,
            LeaderlessReplicas = [.. reports],
        }, version);

    private BrokerHeartbeatRequest.LeaderlessReplica Report(int lastEpoch, long endOffset) => new()
    {
        TopicId = Image.Topic("t")!.Id,
        PartitionIndex = 0,
        PartitionEpoch = Partition.PartitionEpoch,
        LastEpoch = lastEpoch,
        LogEndOffset = endOffset,
    };

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public async Task The_replica_reporting_the_latest_log_end_leads(short version)
    {
        await RegisterAsync(2);
        await HeartbeatAsync(2, version);
        await RegisterAsync(3);
        await HeartbeatAsync(3, version);
        var created = await _f.Controller.CreateTopicsAsync([new NewTopic("t", -1, -1, [new PartitionAssignment(0, [2, 3])],
            [new("min.insync.replicas", "2")])], validateOnly: false);
        Assert.Equal(ErrorCode.None, created[0].Error);
        // The ISR shrinks to 2 (3 eligible); 3 restarts uncleanly, then 2 is lost and restarts uncleanly.
        var p = Partition;
        var shrunk = await _f.Controller.AlterPartitionAsync(new ControllerAlterPartition(2, _epochs[2], 3, [new TopicIsrChanges(null, created[0].TopicId,
            [new IsrChange(0, p.LeaderEpoch, p.PartitionEpoch, [new IsrMember(2, _epochs[2])], LeaderRecoveryState.Recovered)])]));
        Assert.Equal(ErrorCode.None, shrunk.Topics[0].Partitions[0].Error);
        await HeartbeatAsync(3, version, wantFence: true);
        await RegisterAsync(3);
        await HeartbeatAsync(2, version, wantFence: true);
        await RegisterAsync(2);
        Assert.Equal((-1, "3,2"), (Partition.Leader, string.Join(",", Partition.LastKnownElr)));

        // 2, the last leader, reports the shorter log; it is not elected until 3 has reported too.
        Assert.False((await HeartbeatAsync(2, version, reports: Report(0, 40))).IsFenced);
        Assert.Equal(-1, Partition.Leader);
        Assert.False((await HeartbeatAsync(3, version, reports: Report(0, 55))).IsFenced);
        Assert.Equal((3, LeaderRecoveryState.Recovering), (Partition.Leader, Partition.LeaderRecoveryState));
    }
}
