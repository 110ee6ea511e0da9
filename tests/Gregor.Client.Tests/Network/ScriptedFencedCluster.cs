using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Network;

/// <summary>
/// A scripted broker posing as broker 1 of a three-broker cluster (brokers 1 and 3 unfenced, 2 fenced, in rack r2)
/// whose metadata quorum is led by <see cref="QuorumLeader"/>. It answers DescribeCluster up to
/// <c>describeClusterMax</c>, naming itself as controller as a KRaft broker does, and listing broker 2 only when a
/// v2 request asks for fenced brokers; DescribeQuorum, when advertised at all, with the leader or with
/// <see cref="QuorumError"/>. Only broker 1 is reachable: the others' ports are never connected to.
/// </summary>
internal sealed class ScriptedFencedCluster : IAsyncDisposable
{
    private readonly ScriptedBroker _broker;
    private readonly short _describeClusterMax;
    private readonly bool _describeQuorum;

    public ScriptedFencedCluster(short describeClusterMax, bool describeQuorum = true)
    {
        _describeClusterMax = describeClusterMax;
        _describeQuorum = describeQuorum;
        _broker = new ScriptedBroker(Answer);
    }

    public string Bootstrap => "127.0.0.1:" + _broker.Port;

    public int Port => _broker.Port;

    public int QuorumLeader { get; set; } = 3;

    /// <summary>When set, DescribeQuorum answers this error on the metadata partition, as a node that cannot describe the quorum.</summary>
    public WireErrorCode? QuorumError { get; set; }

    /// <summary>Each DescribeCluster request, with the version it came in.</summary>
    public List<(short Version, DescribeClusterRequest Request)> DescribeClusterRequests { get; } = [];

    private byte[]? Answer(short key, short version, int correlationId, byte[] frame)
    {
        var reader = new ProtocolReader(frame);
        RequestFraming.ReadHeader(ref reader, frame);
        switch ((ApiKey)key)
        {
            case ApiKey.ApiVersions:
                List<ApiVersionsResponse.ApiVersion> apis =
                [
                    Api(ApiKey.ApiVersions, 0, 3), Api(ApiKey.Metadata, 0, 12), Api(ApiKey.DescribeCluster, 0, _describeClusterMax),
                ];
                if (_describeQuorum) apis.Add(Api(ApiKey.DescribeQuorum, 0, 2));
                return Respond(key, version, correlationId, new ApiVersionsResponse { ApiKeys = apis });
            case ApiKey.Metadata:
                return Respond(key, version, correlationId, new MetadataResponse
                {
                    ClusterId = "scripted",
                    ControllerId = 1,
                    Brokers =
                    [
                        new MetadataResponse.MetadataResponseBroker { NodeId = 1, Host = "127.0.0.1", Port = Port, Rack = "r1" },
                        new MetadataResponse.MetadataResponseBroker { NodeId = 3, Host = "127.0.0.1", Port = 1 },
                    ],
                });
            case ApiKey.DescribeCluster:
                var request = DescribeClusterRequest.Read(ref reader, version);
                lock (DescribeClusterRequests) DescribeClusterRequests.Add((version, request));
                var response = new DescribeClusterResponse { ClusterId = "scripted", ControllerId = 1, EndpointType = 1 };
                response.Brokers.Add(new DescribeClusterResponse.DescribeClusterBroker { BrokerId = 1, Host = "127.0.0.1", Port = Port, Rack = "r1" });
                if (request.IncludeFencedBrokers)
                    response.Brokers.Add(new DescribeClusterResponse.DescribeClusterBroker { BrokerId = 2, Host = "127.0.0.1", Port = 2, Rack = "r2", IsFenced = true });
                response.Brokers.Add(new DescribeClusterResponse.DescribeClusterBroker { BrokerId = 3, Host = "127.0.0.1", Port = 1 });
                return Respond(key, version, correlationId, response);
            case ApiKey.DescribeQuorum:
                var partition = new DescribeQuorumResponse.PartitionData { PartitionIndex = 0, LeaderId = -1, LeaderEpoch = -1, HighWatermark = -1 };
                if (QuorumError is { } error) partition.ErrorCode = (short)error;
                else
                {
                    (partition.LeaderId, partition.LeaderEpoch, partition.HighWatermark) = (QuorumLeader, 4, 40);
                    partition.CurrentVoters = [.. new[] { 1, 2, 3 }.Select(id => new DescribeQuorumResponse.ReplicaState { ReplicaId = id, LogEndOffset = 40 })];
                }
                return Respond(key, version, correlationId, new DescribeQuorumResponse
                {
                    Topics = [new DescribeQuorumResponse.TopicData { TopicName = "__cluster_metadata", Partitions = [partition] }],
                });
            default:
                return null;
        }
    }

    private static ApiVersionsResponse.ApiVersion Api(ApiKey key, short min, short max) => new() { ApiKey = (short)key, MinVersion = min, MaxVersion = max };

    private static byte[] Respond<T>(short key, short version, int correlationId, T response) where T : IProtocolMessage<T>
    {
        byte[] body = new byte[response.Size(version)];
        var writer = new ProtocolWriter(body);
        response.Write(ref writer, version);
        // Response header v1 (flexible versions) ends with an empty tagged-field section.
        return ScriptedBroker.Frame(correlationId, RequestFraming.ResponseHeaderVersion(key, version) >= 1 ? [0, .. body] : body);
    }

    public ValueTask DisposeAsync() => _broker.DisposeAsync();
}
