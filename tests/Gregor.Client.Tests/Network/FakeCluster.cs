using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Gregor.Protocol.Records;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Tests.Network;

/// <summary>
/// Two scripted brokers posing as one cluster with one topic of one partition, whose leader and leader epoch a
/// test can move. Both answer Metadata with the current leader; the leader serves Fetch from an in-memory log of
/// "value-i" records; a test hooks Fetch, OffsetCommit and FindCoordinator to make a broker misbehave.
/// </summary>
internal sealed class FakeCluster : IAsyncDisposable
{
    public const string Topic = "moving";

    private readonly ScriptedBroker[] _brokers = new ScriptedBroker[2];
    private readonly object _lock = new();

    public FakeCluster(int records)
    {
        Records = records;
        for (int node = 0; node < 2; node++)
        {
            int me = node;
            _brokers[node] = new ScriptedBroker((key, version, correlationId, frame) => Answer(me, key, version, correlationId, frame));
        }
    }

    public int Records { get; }

    public string Bootstrap => "127.0.0.1:" + _brokers[0].Port;

    public int Leader { get; set; }

    public int LeaderEpoch { get; set; } = 1;

    public int Coordinator { get; set; }

    /// <summary>Called before a broker answers a Fetch; a non-null error code is answered instead of records.</summary>
    public Func<int, FetchRequest.FetchPartition, WireErrorCode?>? OnFetch { get; set; }

    /// <summary>Called before a broker answers an OffsetCommit; a non-null error code is answered for every partition.</summary>
    public Func<int, OffsetCommitRequest, WireErrorCode?>? OnCommit { get; set; }

    /// <summary>Every request each broker received, decoded where the tests look into it.</summary>
    public List<(int Node, ApiKey Api, object? Request)> Received { get; } = [];

    private byte[]? Answer(int node, short key, short version, int correlationId, byte[] frame)
    {
        var reader = new ProtocolReader(frame);
        RequestFraming.ReadHeader(ref reader, frame);
        lock (_lock)
        {
            switch ((ApiKey)key)
            {
                case ApiKey.ApiVersions:
                    return Respond(key, version, correlationId, new ApiVersionsResponse
                    {
                        ApiKeys = [Api(ApiKey.ApiVersions, 0, 3), Api(ApiKey.Metadata, 1, 12), Api(ApiKey.Fetch, 4, 12), Api(ApiKey.ListOffsets, 1, 7),
                            Api(ApiKey.FindCoordinator, 0, 4), Api(ApiKey.OffsetCommit, 2, 8), Api(ApiKey.OffsetFetch, 1, 8)],
                    });
                case ApiKey.Metadata:
                    Received.Add((node, ApiKey.Metadata, null));
                    return Respond(key, version, correlationId, Metadata());
                case ApiKey.Fetch:
                    var fetch = FetchRequest.Read(ref reader, version);
                    Received.Add((node, ApiKey.Fetch, fetch));
                    return Respond(key, version, correlationId, Fetch(node, fetch));
                case ApiKey.FindCoordinator:
                    Received.Add((node, ApiKey.FindCoordinator, null));
                    var coordinator = _brokers[Coordinator];
                    return Respond(key, version, correlationId, version >= 4
                        ? new FindCoordinatorResponse { Coordinators = [new() { Key = "g", NodeId = Coordinator, Host = "127.0.0.1", Port = coordinator.Port }] }
                        : new FindCoordinatorResponse { NodeId = Coordinator, Host = "127.0.0.1", Port = coordinator.Port });
                case ApiKey.OffsetCommit:
                    var commit = OffsetCommitRequest.Read(ref reader, version);
                    Received.Add((node, ApiKey.OffsetCommit, commit));
                    var error = node != Coordinator ? WireErrorCode.NotCoordinator : OnCommit?.Invoke(node, commit) ?? WireErrorCode.None;
                    return Respond(key, version, correlationId, new OffsetCommitResponse
                    {
                        Topics = [.. commit.Topics.Select(t => new OffsetCommitResponse.OffsetCommitResponseTopic
                        {
                            Name = t.Name,
                            Partitions = [.. t.Partitions.Select(p => new OffsetCommitResponse.OffsetCommitResponsePartition { PartitionIndex = p.PartitionIndex, ErrorCode = (short)error })],
                        })],
                    });
                default:
                    return null;
            }
        }
    }

    private static ApiVersionsResponse.ApiVersion Api(ApiKey key, short min, short max) => new() { ApiKey = (short)key, MinVersion = min, MaxVersion = max };

    private static byte[] Respond<T>(short key, short version, int correlationId, T response) where T : IProtocolMessage<T>
    {
        byte[] body = ((IProtocolStruct)response).Size(version) is var size ? new byte[size] : [];
        var writer = new ProtocolWriter(body);
        response.Write(ref writer, version);
        // Response header v1 (flexible versions) ends with an empty tagged-field section.
        return ScriptedBroker.Frame(correlationId, RequestFraming.ResponseHeaderVersion(key, version) >= 1 ? [0, .. body] : body);
    }

    private MetadataResponse Metadata() => new()
    {
        ClusterId = "fake",
        ControllerId = 0,
        Brokers = [.. _brokers.Select((b, i) => new MetadataResponse.MetadataResponseBroker { NodeId = i, Host = "127.0.0.1", Port = b.Port })],
        Topics = [new MetadataResponse.MetadataResponseTopic
        {
            Name = Topic,
            Partitions = [new MetadataResponse.MetadataResponsePartition { PartitionIndex = 0, LeaderId = Leader, LeaderEpoch = LeaderEpoch, ReplicaNodes = [0, 1], IsrNodes = [0, 1] }],
        }],
    };

    private FetchResponse Fetch(int node, FetchRequest request)
    {
        var partition = request.Topics.Single().Partitions.Single();
        var data = new FetchResponse.PartitionData { PartitionIndex = 0, HighWatermark = Records, LastStableOffset = Records, LogStartOffset = 0 };
        var error = node != Leader ? WireErrorCode.NotLeaderOrFollower : OnFetch?.Invoke(node, partition);
        if (error is { } failed) data.ErrorCode = (short)failed;
        else data.Records = Batch(partition.FetchOffset);
        return new FetchResponse { Responses = [new FetchResponse.FetchableTopicResponse { Topic = Topic, Partitions = [data] }] };
    }

    /// <summary>Up to five records from the offset on, in one batch stamped with the current leader epoch.</summary>
    private ReadOnlyMemory<byte> Batch(long from)
    {
        if (from >= Records) return ReadOnlyMemory<byte>.Empty;
        using var builder = new RecordBatchBuilder { BaseOffset = from, PartitionLeaderEpoch = LeaderEpoch };
        for (long offset = from; offset < Math.Min(Records, from + 5); offset++)
            builder.Append(1_700_000_000_000 + offset, NullableBytes.Null, System.Text.Encoding.UTF8.GetBytes("value-" + offset));
        return builder.Build().ToArray();
    }

    public List<T> RequestsTo<T>(int node, ApiKey api)
    {
        lock (_lock) return [.. Received.Where(r => r.Node == node && r.Api == api).Select(r => (T)r.Request!)];
    }

    public int Count(int node, ApiKey api)
    {
        lock (_lock) return Received.Count(r => r.Node == node && r.Api == api);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var broker in _brokers) await broker.DisposeAsync();
    }
}
