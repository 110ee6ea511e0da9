using Gregor.Broker.ControlPlane;
using Gregor.Broker.Handlers;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.ControlPlane.Tests;

/// <summary>AlterPartitionReassignments and ListPartitionReassignments through their handlers (v0, their only version).</summary>
public sealed class PartitionReassignmentHandlerTests : IDisposable
{
    private readonly BrokerFixture _f = new();

    public void Dispose() => _f.Dispose();

    private Task<AlterPartitionReassignmentsResponse> Alter(params (string Topic, int Partition, int[]? Replicas)[] partitions) =>
        BrokerFixture.Call<AlterPartitionReassignmentsRequest, AlterPartitionReassignmentsResponse>(
            new AlterPartitionReassignmentsHandler(_f.Controller, new ControllerForwarder(_f.Controller)),
            new AlterPartitionReassignmentsRequest
            {
                Topics = [.. partitions.GroupBy(p => p.Topic).Select(g => new AlterPartitionReassignmentsRequest.ReassignableTopic
                {
                    Name = g.Key,
                    Partitions = [.. g.Select(p => new AlterPartitionReassignmentsRequest.ReassignablePartition
                    {
                        PartitionIndex = p.Partition,
                        Replicas = p.Replicas is null ? null : [.. p.Replicas],
                    })],
                })],
            }, 0);

    private Task<ListPartitionReassignmentsResponse> List(params (string Topic, int[] Partitions)[]? topics) =>
        BrokerFixture.Call<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponse>(
            new ListPartitionReassignmentsHandler(_f.Controller, new ControllerForwarder(_f.Controller)),
            new ListPartitionReassignmentsRequest
            {
                Topics = topics is null ? null : [.. topics.Select(t => new ListPartitionReassignmentsRequest.ListPartitionReassignmentsTopics { Name = t.Topic, PartitionIndexes = [.. t.Partitions] })],
            }, 0);

    [Fact]
    public async Task A_reassignment_to_another_broker_is_listed_until_cancelled_and_bad_targets_fail_per_partition()
    {
        await _f.Controller.RegisterBrokerAsync(2, [new BrokerEndpointInfo("PLAINTEXT", "127.0.0.1", 19093, 0)], null);
        Assert.Equal(ErrorCode.None, Assert.Single(await _f.Controller.CreateTopicsAsync([new NewTopic("r", -1, -1, [new PartitionAssignment(0, [1]), new PartitionAssignment(1, [1])], [])], validateOnly: false)).Error);

        var altered = await Alter(("r", 0, [2, 1]), ("r", 1, [1, 99]), ("r", 7, [1]), ("missing", 0, [1]));
        Assert.Equal(0, altered.ErrorCode);
        Assert.Equal([(short)ErrorCode.None, (short)ErrorCode.InvalidReplicaAssignment, (short)ErrorCode.UnknownTopicOrPartition],
            altered.Responses.Single(r => r.Name == "r").Partitions.Select(p => p.ErrorCode));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Assert.Single(altered.Responses.Single(r => r.Name == "missing").Partitions).ErrorCode);

        foreach (var listed in new[] { await List(null), await List(("r", [0, 1]), ("missing", [0])) })
        {
            var partition = Assert.Single(Assert.Single(listed.Topics).Partitions);
            Assert.Equal((0, "2,1", "2", ""), (partition.PartitionIndex, string.Join(",", partition.Replicas),
                string.Join(",", partition.AddingReplicas), string.Join(",", partition.RemovingReplicas)));
        }

        var cancelled = await Alter(("r", 0, null), ("r", 1, null));
        Assert.Equal([(short)ErrorCode.None, (short)ErrorCode.NoReassignmentInProgress], Assert.Single(cancelled.Responses).Partitions.Select(p => p.ErrorCode));
        Assert.Empty((await List(null)).Topics);
        Assert.Equal([1], _f.Publisher.Current.Topic("r")!.Partitions[0].Replicas.ToArray());
    }
}
