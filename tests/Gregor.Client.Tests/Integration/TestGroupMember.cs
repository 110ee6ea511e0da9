using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Client.Tests.Integration;

/// <summary>
/// A consumer-group member driven by raw JoinGroup/SyncGroup/OffsetCommit/LeaveGroup requests over its
/// own socket (only the protocol codecs, no client), so a test decides exactly when it joins, what it
/// is assigned, what it commits and when it leaves. It joins as the only member and so is the leader
/// that hands out the assignment. Shared by the client and CLI tests.
/// </summary>
internal sealed class TestGroupMember : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Socket _socket;
    private readonly string _clientId;
    private int _correlationId;

    private TestGroupMember(Socket socket, string group, string clientId)
    {
        _socket = socket;
        Group = group;
        _clientId = clientId;
    }

    public string Group { get; }

    public string MemberId { get; private set; } = "";

    public int Generation { get; private set; } = -1;

    /// <summary>Finds the coordinator through <paramref name="port"/>, joins <paramref name="group"/> and takes <paramref name="assignment"/>.</summary>
    public static async Task<TestGroupMember> JoinAsync(int port, string group, IReadOnlyDictionary<string, int[]> assignment, string clientId = "test-member")
    {
        int coordinatorPort = await FindCoordinatorAsync(port, group);
        var socket = await ConnectAsync(coordinatorPort);
        var member = new TestGroupMember(socket, group, clientId);
        await member.JoinAndSyncAsync(assignment);
        return member;
    }

    private static async Task<int> FindCoordinatorAsync(int port, string group)
    {
        using var socket = await ConnectAsync(port);
        var probe = new TestGroupMember(socket, group, "test-member");
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var response = await probe.CallAsync<FindCoordinatorRequest, FindCoordinatorResponse>(new FindCoordinatorRequest { Key = group, KeyType = 0 }, 3);
            if (response.ErrorCode == 0) return response.Port;
            if (DateTime.UtcNow > deadline) throw new InvalidOperationException($"no coordinator for {group}: error {response.ErrorCode}");
            await Task.Delay(100); // the offsets topic is being created
        }
    }

    private static async Task<Socket> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        return socket;
    }

    private async Task JoinAndSyncAsync(IReadOnlyDictionary<string, int[]> assignment)
    {
        var subscription = new ConsumerProtocolSubscription { Topics = [.. assignment.Keys] };
        byte[] metadata = WithVersion(0, subscription.Serialize(0));
        JoinGroupResponse join;
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            join = await CallAsync<JoinGroupRequest, JoinGroupResponse>(new JoinGroupRequest
            {
                GroupId = Group,
                SessionTimeoutMs = 60_000,
                RebalanceTimeoutMs = 60_000,
                MemberId = MemberId,
                ProtocolType = "consumer",
                Protocols = [new JoinGroupRequest.JoinGroupRequestProtocol { Name = "range", Metadata = metadata }],
            }, 5);
            if (join.ErrorCode == (short)ErrorCode.MemberIdRequired)
            {
                MemberId = join.MemberId; // KIP-394: join again with the id the coordinator chose
                continue;
            }
            if (join.ErrorCode is (short)ErrorCode.NotCoordinator or (short)ErrorCode.CoordinatorLoadInProgress or (short)ErrorCode.CoordinatorNotAvailable
                && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50); // the offsets partition was just created; its leader is still loading it
                continue;
            }
            Assert.Equal(0, join.ErrorCode);
            break;
        }
        MemberId = join.MemberId;
        Generation = join.GenerationId;
        Assert.Equal(MemberId, join.Leader);
        var body = new ConsumerProtocolAssignment
        {
            AssignedPartitions = [.. assignment.Select(a => new ConsumerProtocolAssignment.TopicPartitions { Topic = a.Key, Partitions = [.. a.Value] })],
        };
        var sync = await CallAsync<SyncGroupRequest, SyncGroupResponse>(new SyncGroupRequest
        {
            GroupId = Group,
            GenerationId = Generation,
            MemberId = MemberId,
            Assignments = [new SyncGroupRequest.SyncGroupRequestAssignment { MemberId = MemberId, Assignment = WithVersion(0, body.Serialize(0)) }],
        }, 3);
        Assert.Equal(0, sync.ErrorCode);
    }

    private static byte[] WithVersion(short version, byte[] body)
    {
        var bytes = new byte[2 + body.Length];
        BinaryPrimitives.WriteInt16BigEndian(bytes, version);
        body.CopyTo(bytes, 2);
        return bytes;
    }

    /// <summary>Commits as this member (its generation and id); returns the error code of the partition.</summary>
    public async Task<short> CommitAsync(string topic, int partition, long offset)
    {
        var response = await CallAsync<OffsetCommitRequest, OffsetCommitResponse>(new OffsetCommitRequest
        {
            GroupId = Group,
            GenerationIdOrMemberEpoch = Generation,
            MemberId = MemberId,
            Topics = [new OffsetCommitRequest.OffsetCommitRequestTopic
            {
                Name = topic,
                Partitions = [new OffsetCommitRequest.OffsetCommitRequestPartition { PartitionIndex = partition, CommittedOffset = offset, CommittedMetadata = "" }],
            }],
        }, 7);
        return response.Topics.Single().Partitions.Single().ErrorCode;
    }

    public async Task LeaveAsync()
    {
        var response = await CallAsync<LeaveGroupRequest, LeaveGroupResponse>(new LeaveGroupRequest
        {
            GroupId = Group,
            Members = [new LeaveGroupRequest.MemberIdentity { MemberId = MemberId }],
        }, 3);
        Assert.Equal(0, response.ErrorCode);
    }

    private async Task<TResponse> CallAsync<TRequest, TResponse>(TRequest request, short version)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : IProtocolMessage<TResponse>
    {
        short apiKey = TRequest.Descriptor.ApiKey;
        int correlationId = ++_correlationId;
        var header = new RequestHeader { RequestApiKey = apiKey, RequestApiVersion = version, CorrelationId = correlationId, ClientId = _clientId };
        byte[] headerBytes = header.Serialize(RequestFraming.RequestHeaderVersion(apiKey, version));
        byte[] body = new byte[request.Size(version)];
        var writer = new ProtocolWriter(body);
        request.Write(ref writer, version);
        var frame = new byte[4 + headerBytes.Length + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, headerBytes.Length + body.Length);
        headerBytes.CopyTo(frame, 4);
        body.CopyTo(frame, 4 + headerBytes.Length);
        await _socket.SendAsync(frame, SocketFlags.None).WaitAsync(Patience);

        var prefix = new byte[4];
        await ReadExactlyAsync(prefix);
        var payload = new byte[BinaryPrimitives.ReadInt32BigEndian(prefix)];
        await ReadExactlyAsync(payload);
        var reader = new ProtocolReader(payload);
        var responseHeader = ResponseHeader.Read(ref reader, RequestFraming.ResponseHeaderVersion(apiKey, version));
        Assert.Equal(correlationId, responseHeader.CorrelationId);
        return TResponse.Read(ref reader, version);
    }

    private async Task ReadExactlyAsync(byte[] buffer)
    {
        using var timeout = new CancellationTokenSource(Patience);
        int read = 0;
        while (read < buffer.Length)
        {
            int n = await _socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, timeout.Token);
            if (n == 0) throw new IOException("the broker closed the connection");
            read += n;
        }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        return ValueTask.CompletedTask;
    }
}
