using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Tests.Messages;

/// <summary>
/// The KRaft RPCs laid out byte by byte from their field lists, so a field out of order, in the
/// wrong versions or of the wrong width fails here even though it would round-trip.
/// </summary>
public sealed class KRaftMessageLayoutTests
{
    private static readonly KafkaUuid CandidateDir = new(0x0102030405060708, 0x090A0B0C0D0E0F10);
    private static readonly KafkaUuid VoterDir = new(0x1112131415161718, 0x191A1B1C1D1E1F20);

    private static byte[] Uuid(KafkaUuid id)
    {
        var bytes = new byte[16];
        id.Write(bytes);
        return bytes;
    }

    private static VoteRequest Vote(bool withV1Fields) => new()
    {
        ClusterId = "c1",
        VoterId = withV1Fields ? 3 : -1,
        Topics =
        [
            new()
            {
                TopicName = "t",
                Partitions =
                [
                    new()
                    {
                        PartitionIndex = 0,
                        CandidateEpoch = 5,
                        CandidateId = 1,
                        CandidateDirectoryId = withV1Fields ? CandidateDir : KafkaUuid.Zero,
                        VoterDirectoryId = withV1Fields ? VoterDir : KafkaUuid.Zero,
                        LastOffsetEpoch = 4,
                        LastOffset = 0x1234,
                        PreVote = withV1Fields,
                    },
                ],
            },
        ],
    };

    [Fact]
    public void Vote_request_v0_is_flexible_with_no_voter_key()
    {
        byte[] expected =
        [
            3, (byte)'c', (byte)'1',            // ClusterId: compact nullable string
            2,                                  // Topics: compact array of 1
            2, (byte)'t',                       //   TopicName
            2,                                  //   Partitions: compact array of 1
            0, 0, 0, 0,                         //     PartitionIndex
            0, 0, 0, 5,                         //     CandidateEpoch
            0, 0, 0, 1,                         //     CandidateId
            0, 0, 0, 4,                         //     LastOffsetEpoch
            0, 0, 0, 0, 0, 0, 0x12, 0x34,       //     LastOffset
            0,                                  //     partition tagged fields
            0,                                  //   topic tagged fields
            0,                                  // tagged fields
        ];
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Vote(withV1Fields: false).Serialize(0)));

        var read = VoteRequest.Deserialize(expected, 0);
        Assert.Equal("c1", read.ClusterId);
        Assert.Equal(-1, read.VoterId);
        var p = Assert.Single(Assert.Single(read.Topics).Partitions);
        Assert.Equal((0, 5, 1, 4, 0x1234L), (p.PartitionIndex, p.CandidateEpoch, p.CandidateId, p.LastOffsetEpoch, p.LastOffset));
        Assert.True(p.CandidateDirectoryId.IsZero);
        Assert.False(p.PreVote);
    }

    [Fact]
    public void Vote_request_v2_adds_voter_id_directory_ids_and_pre_vote()
    {
        byte[] expected =
        [
            3, (byte)'c', (byte)'1',            // ClusterId
            0, 0, 0, 3,                         // VoterId (v1+)
            2,                                  // Topics
            2, (byte)'t',                       //   TopicName
            2,                                  //   Partitions
            0, 0, 0, 0,                         //     PartitionIndex
            0, 0, 0, 5,                         //     CandidateEpoch
            0, 0, 0, 1,                         //     CandidateId
            .. Uuid(CandidateDir),              //     CandidateDirectoryId (v1+)
            .. Uuid(VoterDir),                  //     VoterDirectoryId (v1+)
            0, 0, 0, 4,                         //     LastOffsetEpoch
            0, 0, 0, 0, 0, 0, 0x12, 0x34,       //     LastOffset
            1,                                  //     PreVote (v2+)
            0,
            0,
            0,
        ];
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(Vote(withV1Fields: true).Serialize(2)));

        var read = VoteRequest.Deserialize(expected, 2);
        Assert.Equal(3, read.VoterId);
        var p = Assert.Single(Assert.Single(read.Topics).Partitions);
        Assert.Equal((CandidateDir, VoterDir), (p.CandidateDirectoryId, p.VoterDirectoryId));
        Assert.Equal((4, 0x1234L), (p.LastOffsetEpoch, p.LastOffset));
        Assert.True(p.PreVote);

        // v1 is v2 without the pre-vote flag.
        byte[] v1 = [.. expected[..^4], .. expected[^3..]];
        Assert.Equal(Convert.ToHexString(v1), Convert.ToHexString(Vote(withV1Fields: true).Serialize(1)));
    }

    [Fact]
    public void Vote_response_v1_carries_leader_endpoints_in_tag_0()
    {
        var response = new VoteResponse
        {
            Topics = [new() { TopicName = "t", Partitions = [new() { PartitionIndex = 0, LeaderId = 2, LeaderEpoch = 6, VoteGranted = true }] }],
            NodeEndpoints = [new() { NodeId = 2, Host = "h", Port = 9093 }],
        };
        byte[] expected =
        [
            0, 0,                               // ErrorCode
            2,                                  // Topics
            2, (byte)'t',
            2,                                  //   Partitions
            0, 0, 0, 0,                         //     PartitionIndex
            0, 0,                               //     ErrorCode
            0, 0, 0, 2,                         //     LeaderId
            0, 0, 0, 6,                         //     LeaderEpoch
            1,                                  //     VoteGranted
            0,
            0,
            1,                                  // one tagged field
            0,                                  //   tag 0: NodeEndpoints
            10,                                 //   its size
            2,                                  //   compact array of 1
            0, 0, 0, 2,                         //     NodeId
            2, (byte)'h',                       //     Host
            0x23, 0x85,                         //     Port (uint16 9093)
            0,                                  //     tagged fields
        ];
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(response.Serialize(1)));
        var read = VoteResponse.Deserialize(expected, 1);
        var endpoint = Assert.Single(read.NodeEndpoints);
        Assert.Equal((2, "h", (ushort)9093), (endpoint.NodeId, endpoint.Host, endpoint.Port));

        // v0 has no tagged NodeEndpoints: they are not written.
        byte[] v0 = [.. expected[..^13], 0];
        Assert.Equal(Convert.ToHexString(v0), Convert.ToHexString(response.Serialize(0)));
    }

    private static BeginQuorumEpochRequest BeginQuorumEpoch() => new()
    {
        ClusterId = "c1",
        VoterId = 3,
        Topics = [new() { TopicName = "t", Partitions = [new() { PartitionIndex = 0, VoterDirectoryId = VoterDir, LeaderId = 1, LeaderEpoch = 7 }] }],
        LeaderEndpoints = [new() { Name = "C", Host = "h", Port = 9093 }],
    };

    [Fact]
    public void BeginQuorumEpoch_request_v1_is_flexible_with_voter_key_and_leader_endpoints()
    {
        byte[] expected =
        [
            3, (byte)'c', (byte)'1',            // ClusterId
            0, 0, 0, 3,                         // VoterId
            2,                                  // Topics
            2, (byte)'t',                       //   TopicName
            2,                                  //   Partitions
            0, 0, 0, 0,                         //     PartitionIndex
            .. Uuid(VoterDir),                  //     VoterDirectoryId
            0, 0, 0, 1,                         //     LeaderId
            0, 0, 0, 7,                         //     LeaderEpoch
            0,
            0,
            2,                                  // LeaderEndpoints
            2, (byte)'C',                       //   Name
            2, (byte)'h',                       //   Host
            0x23, 0x85,                         //   Port
            0,
            0,                                  // tagged fields
        ];
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(BeginQuorumEpoch().Serialize(1)));

        var read = BeginQuorumEpochRequest.Deserialize(expected, 1);
        Assert.Equal(3, read.VoterId);
        var p = Assert.Single(Assert.Single(read.Topics).Partitions);
        Assert.Equal((VoterDir, 1, 7), (p.VoterDirectoryId, p.LeaderId, p.LeaderEpoch));
        var endpoint = Assert.Single(read.LeaderEndpoints);
        Assert.Equal(("C", "h", (ushort)9093), (endpoint.Name, endpoint.Host, endpoint.Port));
    }

    [Fact]
    public void BeginQuorumEpoch_request_v0_is_classic_with_leader_id_and_epoch_only()
    {
        byte[] expected =
        [
            0, 2, (byte)'c', (byte)'1',         // ClusterId: int16 length
            0, 0, 0, 1,                         // Topics: int32 count
            0, 1, (byte)'t',                    //   TopicName
            0, 0, 0, 1,                         //   Partitions
            0, 0, 0, 0,                         //     PartitionIndex
            0, 0, 0, 1,                         //     LeaderId
            0, 0, 0, 7,                         //     LeaderEpoch
        ];
        var request = BeginQuorumEpoch();
        request.VoterId = -1;
        request.Topics[0].Partitions[0].VoterDirectoryId = KafkaUuid.Zero;
        request.LeaderEndpoints.Clear();
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(request.Serialize(0)));
        var read = BeginQuorumEpochRequest.Deserialize(expected, 0);
        Assert.Equal((1, 7), (read.Topics[0].Partitions[0].LeaderId, read.Topics[0].Partitions[0].LeaderEpoch));
    }

    [Fact]
    public void AllocateProducerIds_v0_is_flexible_with_broker_id_and_epoch_then_a_block()
    {
        byte[] request =
        [
            0, 0, 0, 2,                         // BrokerId
            0, 0, 0, 0, 0, 0, 0x01, 0x2C,       // BrokerEpoch 300
            0,                                  // tagged fields
        ];
        Assert.Equal(Convert.ToHexString(request), Convert.ToHexString(new AllocateProducerIdsRequest { BrokerId = 2, BrokerEpoch = 300 }.Serialize(0)));
        Assert.Equal(-1, new AllocateProducerIdsRequest().BrokerEpoch);
        var readRequest = AllocateProducerIdsRequest.Deserialize(request, 0);
        Assert.Equal((2, 300L), (readRequest.BrokerId, readRequest.BrokerEpoch));

        byte[] response =
        [
            0, 0, 0, 0,                         // ThrottleTimeMs
            0, 0,                               // ErrorCode
            0, 0, 0, 0, 0, 0, 0x07, 0xD0,       // ProducerIdStart 2000
            0, 0, 0x03, 0xE8,                   // ProducerIdLen 1000
            0,                                  // tagged fields
        ];
        var block = new AllocateProducerIdsResponse { ProducerIdStart = 2000, ProducerIdLen = 1000 };
        Assert.Equal(Convert.ToHexString(response), Convert.ToHexString(block.Serialize(0)));
        var readResponse = AllocateProducerIdsResponse.Deserialize(response, 0);
        Assert.Equal((0, (short)0, 2000L, 1000), (readResponse.ThrottleTimeMs, readResponse.ErrorCode, readResponse.ProducerIdStart, readResponse.ProducerIdLen));
    }

    [Fact]
    public void The_kraft_and_broker_lifecycle_apis_have_codecs_at_every_version_kafka_defines()
    {
        (ApiKey Api, short Highest)[] expected =
        [
            (ApiKey.ControlledShutdown, 3), (ApiKey.Vote, 2), (ApiKey.BeginQuorumEpoch, 1), (ApiKey.EndQuorumEpoch, 1),
            (ApiKey.DescribeQuorum, 2), (ApiKey.FetchSnapshot, 1), (ApiKey.BrokerRegistration, 4),
            (ApiKey.BrokerHeartbeat, 1), (ApiKey.UnregisterBroker, 0), (ApiKey.AllocateProducerIds, 0),
        ];
        foreach (var (api, highest) in expected)
        {
            foreach (string kind in new[] { "request", "response" })
            {
                var d = Assert.Single(MessageCatalog.All, m => m.ApiKey == (short)api && m.Kind == kind);
                Assert.Equal(((short)0, highest), (d.LowestVersion, d.HighestVersion));
            }
        }
        string[] controlRecords = ["LeaderChangeMessage", "SnapshotHeaderRecord", "SnapshotFooterRecord", "KRaftVersionRecord", "VotersRecord"];
        foreach (string name in controlRecords)
            Assert.Contains(MessageCatalog.All, d => d.Name == name && d.Kind == "record");
    }

    [Fact]
    public void Control_records_are_keyed_by_their_control_record_type()
    {
        Assert.Equal((short)2, LeaderChangeMessage.ApiKeyId);
        Assert.Equal((short)3, SnapshotHeaderRecord.ApiKeyId);
        Assert.Equal((short)4, SnapshotFooterRecord.ApiKeyId);
        Assert.Equal((short)5, KRaftVersionRecord.ApiKeyId);
        Assert.Equal((short)6, VotersRecord.ApiKeyId);

        // LeaderChangeMessage v0: version, leader, then two arrays of voters (each an id and tags).
        var message = new LeaderChangeMessage { Version = 0, LeaderId = 1, Voters = [new() { VoterId = 1 }, new() { VoterId = 2 }], GrantingVoters = [new() { VoterId = 1 }] };
        byte[] expected = [0, 0, 0, 0, 0, 1, 3, 0, 0, 0, 1, 0, 0, 0, 0, 2, 0, 2, 0, 0, 0, 1, 0, 0];
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(message.Serialize(0)));
    }
}
