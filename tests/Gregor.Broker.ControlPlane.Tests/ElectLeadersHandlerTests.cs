using Gregor.Broker.ControlPlane;
using Gregor.Broker.Handlers;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.ControlPlane.Tests;

/// <summary>ElectLeaders through the handler at every version it advertises (the election rules are the controller's tests).</summary>
public sealed class ElectLeadersHandlerTests : IDisposable
{
    private readonly BrokerFixture _f = new();

    public void Dispose() => _f.Dispose();

    private Task<ElectLeadersResponse> Elect(short version, sbyte type, params (string Topic, int[] Partitions)[]? topics) =>
        BrokerFixture.Call<ElectLeadersRequest, ElectLeadersResponse>(new ElectLeadersHandler(_f.Controller, new ControllerForwarder(_f.Controller)),
            new ElectLeadersRequest
            {
                ElectionType = type,
                TopicPartitions = topics is null ? null : [.. topics.Select(t => new ElectLeadersRequest.ElectionTopic { Topic = t.Topic, Partitions = [.. t.Partitions] })],
            }, version);

    private async Task CreateAsync(string name, int partitions)
    {
        var outcomes = await _f.Controller.CreateTopicsAsync([new Gregor.Metadata.Controller.NewTopic(name, partitions, -1, [], [])], validateOnly: false);
        Assert.Equal(ErrorCode.None, Assert.Single(outcomes).Error);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task Each_partition_asked_gets_its_result(short version)
    {
        await CreateAsync("p", 2);
        var response = await Elect(version, 0, ("p", [0, 1, 5]), ("missing", [0]));
        Assert.Equal(0, response.ErrorCode);
        Assert.Equal(["p", "missing"], response.ReplicaElectionResults.Select(r => r.Topic));
        Assert.Equal([(0, (short)ErrorCode.ElectionNotNeeded), (1, (short)ErrorCode.ElectionNotNeeded), (5, (short)ErrorCode.UnknownTopicOrPartition)],
            response.ReplicaElectionResults[0].PartitionResult.Select(p => (p.PartitionId, p.ErrorCode)));
        Assert.Equal((short)ErrorCode.UnknownTopicOrPartition, Assert.Single(response.ReplicaElectionResults[1].PartitionResult).ErrorCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public async Task All_partitions_leaves_out_those_already_led_as_asked(short version)
    {
        await CreateAsync("p", 3);
        var response = await Elect(version, 0, null);
        var topic = Assert.Single(response.ReplicaElectionResults, r => r.Topic == "p");
        Assert.Empty(topic.PartitionResult);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task An_unclean_election_of_a_led_partition_is_not_needed_and_an_unknown_type_is_an_invalid_request(short version)
    {
        await CreateAsync("p", 1);
        var unclean = await Elect(version, 1, ("p", [0]));
        Assert.Equal((short)ErrorCode.ElectionNotNeeded, Assert.Single(Assert.Single(unclean.ReplicaElectionResults).PartitionResult).ErrorCode);

        var invalid = await Elect(version, 7, ("p", [0]));
        Assert.Equal((short)ErrorCode.InvalidRequest, invalid.ErrorCode);
        Assert.Equal((short)ErrorCode.InvalidRequest, Assert.Single(Assert.Single(invalid.ReplicaElectionResults).PartitionResult).ErrorCode);
    }
}
