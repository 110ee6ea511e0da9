using System.Buffers.Binary;
using Gregor.Client.Admin;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Network;

/// <summary>
/// Group requests against scripted brokers that move the coordinator and make it load: the admin client
/// looks the coordinator up again after NOT_COORDINATOR, asks again after COORDINATOR_LOAD_IN_PROGRESS,
/// and speaks FindCoordinator batched (v4+) or one key per request as the broker allows.
/// </summary>
public sealed class GroupCoordinatorRoutingTests
{
    private sealed class Script
    {
        public required short FindCoordinatorMax { get; init; }

        public List<string> Log { get; } = [];

        public (int Node, int Port) Coordinator { get; set; }

        /// <summary>Where the coordinator moves when a DescribeGroups is answered NOT_COORDINATOR.</summary>
        public (int Node, int Port) MovesTo { get; set; }

        public Queue<WireErrorCode> DescribeAnswers { get; } = new();

        public Queue<WireErrorCode> FindAnswers { get; } = new();
    }

    private static byte[] Respond<TResponse>(int correlationId, short apiKey, short version, TResponse response)
        where TResponse : IProtocolMessage<TResponse>
    {
        byte[] body = new byte[response.Size(version)];
        var writer = new ProtocolWriter(body);
        response.Write(ref writer, version);
        bool flexibleHeader = RequestFraming.ResponseHeaderVersion(apiKey, version) == 1;
        var frame = new byte[4 + (flexibleHeader ? 1 : 0) + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, correlationId);
        body.CopyTo(frame, flexibleHeader ? 5 : 4); // header v1 ends with an empty tagged-field section
        return frame;
    }

    private static TRequest Read<TRequest>(byte[] frame)
        where TRequest : IProtocolMessage<TRequest>
    {
        var reader = new ProtocolReader(frame);
        var header = RequestFraming.ReadHeader(ref reader, frame);
        return TRequest.Read(ref reader, header.RequestApiVersion);
    }

    /// <summary>A broker with node id <paramref name="nodeId"/> answering ApiVersions, Metadata, FindCoordinator and DescribeGroups from the script.</summary>
    private static ScriptedBroker Broker(int nodeId, Script script) => new((key, version, correlationId, frame) =>
    {
        switch ((ApiKey)key)
        {
            case ApiKey.ApiVersions:
                return Respond(correlationId, key, version, new ApiVersionsResponse
                {
                    ApiKeys =
                    [
                        new() { ApiKey = (short)ApiKey.ApiVersions, MinVersion = 0, MaxVersion = 3 },
                        new() { ApiKey = (short)ApiKey.Metadata, MinVersion = 0, MaxVersion = 12 },
                        new() { ApiKey = (short)ApiKey.FindCoordinator, MinVersion = 0, MaxVersion = script.FindCoordinatorMax },
                        new() { ApiKey = (short)ApiKey.DescribeGroups, MinVersion = 0, MaxVersion = 5 },
                    ],
                });
            case ApiKey.FindCoordinator:
            {
                var request = Read<FindCoordinatorRequest>(frame);
                var keys = version >= 4 ? request.CoordinatorKeys : [request.Key];
                WireErrorCode found;
                lock (script.Log)
                {
                    found = script.FindAnswers.Count > 0 ? script.FindAnswers.Dequeue() : WireErrorCode.None;
                    script.Log.Add($"find@{nodeId} v{version} {string.Join(",", keys)}" + (found == WireErrorCode.None ? "" : $" -> {found}"));
                }
                var (node, port) = found == WireErrorCode.None ? script.Coordinator : (-1, -1);
                var response = new FindCoordinatorResponse();
                if (version >= 4)
                    response.Coordinators = [.. keys.Select(k => new FindCoordinatorResponse.Coordinator { Key = k, NodeId = node, Host = "127.0.0.1", Port = port, ErrorCode = (short)found })];
                else
                {
                    response.ErrorCode = (short)found;
                    response.NodeId = node;
                    response.Host = "127.0.0.1";
                    response.Port = port;
                }
                return Respond(correlationId, key, version, response);
            }
            case ApiKey.DescribeGroups:
            {
                var request = Read<DescribeGroupsRequest>(frame);
                WireErrorCode error;
                lock (script.Log)
                {
                    error = script.DescribeAnswers.Count > 0 ? script.DescribeAnswers.Dequeue() : WireErrorCode.None;
                    if (error == WireErrorCode.NotCoordinator) script.Coordinator = script.MovesTo;
                    script.Log.Add($"describe@{nodeId} {string.Join(",", request.Groups)} -> {error}");
                }
                return Respond(correlationId, key, version, new DescribeGroupsResponse
                {
                    Groups = [.. request.Groups.Select(g => new DescribeGroupsResponse.DescribedGroup
                    {
                        GroupId = g,
                        ErrorCode = (short)error,
                        GroupState = error == WireErrorCode.None ? "Empty" : "",
                        ProtocolType = "consumer",
                    })],
                });
            }
            default:
                return null;
        }
    });

    private static IAdminClient Admin(int port) => new AdminClientBuilder(new AdminClientConfig
    {
        BootstrapServers = "127.0.0.1:" + port,
        RetryBackoffMs = 10,
        RequestTimeoutMs = 5000,
    }).Build();

    [Fact]
    public async Task A_moved_coordinator_is_found_again_and_a_loading_one_asked_again()
    {
        var script = new Script { FindCoordinatorMax = 6 };
        await using var a = Broker(1, script);
        await using var b = Broker(2, script);
        script.Coordinator = (1, a.Port);
        script.MovesTo = (2, b.Port);
        // The first coordinator says it no longer is; the next is still loading once, then answers.
        script.DescribeAnswers.Enqueue(WireErrorCode.NotCoordinator);
        script.DescribeAnswers.Enqueue(WireErrorCode.CoordinatorLoadInProgress);
        using var admin = Admin(a.Port);

        var result = await admin.DescribeConsumerGroupsAsync(["g1", "g2"]);

        Assert.All(result.ConsumerGroupDescriptions, d => Assert.Equal(ConsumerGroupState.Empty, d.State));
        Assert.All(result.ConsumerGroupDescriptions, d => Assert.Equal(b.Port, d.Coordinator!.Port));
        List<string> log;
        lock (script.Log) log = [.. script.Log];
        Assert.Equal("find@1 v6 g1,g2", log[0]); // one batched lookup for both groups
        Assert.Equal("describe@1 g1,g2 -> NotCoordinator", log[1]);
        Assert.Equal("find@1 v6 g1,g2", log[2]); // looked up again
        Assert.Equal("describe@2 g1,g2 -> CoordinatorLoadInProgress", log[3]);
        Assert.Equal("describe@2 g1,g2 -> None", log[4]); // asked again, not looked up again
        Assert.Equal(5, log.Count);
    }

    [Fact]
    public async Task A_lookup_answered_coordinator_not_available_is_made_again_and_an_authorization_error_is_final()
    {
        var script = new Script { FindCoordinatorMax = 6 };
        await using var a = Broker(1, script);
        script.Coordinator = (1, a.Port);
        script.FindAnswers.Enqueue(WireErrorCode.CoordinatorNotAvailable); // e.g. the offsets topic is still being created
        script.FindAnswers.Enqueue(WireErrorCode.None);
        script.FindAnswers.Enqueue(WireErrorCode.GroupAuthorizationFailed);
        using var admin = Admin(a.Port);
        Assert.Equal(ConsumerGroupState.Empty, (await admin.DescribeConsumerGroupsAsync(["g"])).ConsumerGroupDescriptions.Single().State);
        lock (script.Log) Assert.Equal(["find@1 v6 g -> CoordinatorNotAvailable", "find@1 v6 g", "describe@1 g -> None"], script.Log);

        // An error that looking again cannot cure is the group's outcome at once.
        var e = await Assert.ThrowsAsync<DescribeConsumerGroupsException>(() => admin.DescribeConsumerGroupsAsync(["g"]));
        Assert.Equal(ErrorCode.GroupAuthorizationFailed, e.Results.ConsumerGroupDescriptions.Single().Error.Code);
        lock (script.Log) Assert.Equal(4, script.Log.Count);
    }

    [Fact]
    public async Task Before_FindCoordinator_v4_each_group_is_looked_up_on_its_own()
    {
        var script = new Script { FindCoordinatorMax = 3 };
        await using var a = Broker(1, script);
        script.Coordinator = (1, a.Port);
        using var admin = Admin(a.Port);
        var result = await admin.DescribeConsumerGroupsAsync(["g1", "g2"]);
        Assert.Equal(2, result.ConsumerGroupDescriptions.Count);
        lock (script.Log)
        {
            Assert.Equal(["find@1 v3 g1", "find@1 v3 g2", "describe@1 g1,g2 -> None"], script.Log);
        }
    }

    [Fact]
    public async Task A_coordinator_that_keeps_loading_ends_in_its_error_at_the_deadline()
    {
        var script = new Script { FindCoordinatorMax = 6 };
        await using var a = Broker(1, script);
        script.Coordinator = (1, a.Port);
        for (int i = 0; i < 10_000; i++) script.DescribeAnswers.Enqueue(WireErrorCode.CoordinatorLoadInProgress);
        using var admin = Admin(a.Port);
        var started = DateTime.UtcNow;
        var e = await Assert.ThrowsAsync<DescribeConsumerGroupsException>(() =>
            admin.DescribeConsumerGroupsAsync(["g"], new DescribeConsumerGroupsOptions { RequestTimeout = TimeSpan.FromSeconds(2) }));
        Assert.Equal(ErrorCode.CoordinatorLoadInProgress, e.Results.ConsumerGroupDescriptions.Single().Error.Code);
        Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromSeconds(1.9), TimeSpan.FromSeconds(10));
        lock (script.Log) Assert.True(script.Log.Count(l => l.StartsWith("describe", StringComparison.Ordinal)) >= 2, "asked again after the first answer");
    }
}
