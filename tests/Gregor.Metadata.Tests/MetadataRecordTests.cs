using Gregor.Metadata.Records;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

/// <summary>
/// Every metadata record type survives the stored form (type, version, fields) with its fields
/// intact, and the registrations already in logs (RegisterBrokerRecord v0) still read.
/// </summary>
public sealed class MetadataRecordTests
{
    private static readonly Random Seeded = new(17);
    private static readonly KafkaUuid Topic = KafkaUuid.NewRandom(Seeded);
    private static readonly KafkaUuid DirA = KafkaUuid.NewRandom(Seeded);
    private static readonly KafkaUuid DirB = KafkaUuid.NewRandom(Seeded);

    /// <summary>Encodes, decodes, checks the type and that the decoded record encodes to the same bytes.</summary>
    private static T RoundTrip<T>(T record) where T : IMetadataRecord
    {
        byte[] bytes = MetadataRecordCodec.Encode(record);
        Assert.Equal(record.RecordType, (short)((bytes[0] << 8) | bytes[1]));
        Assert.Equal(record.CurrentVersion, (short)((bytes[2] << 8) | bytes[3]));
        var decoded = Assert.IsType<T>(MetadataRecordCodec.Decode(bytes));
        Assert.Equal(Convert.ToHexString(bytes), Convert.ToHexString(MetadataRecordCodec.Encode(decoded)));
        return decoded;
    }

    [Fact]
    public void Record_types_are_kafkas()
    {
        short[] types =
        [
            new UnregisterBrokerRecord().RecordType, new PartitionChangeRecord().RecordType, new FenceBrokerRecord().RecordType,
            new UnfenceBrokerRecord().RecordType, new FeatureLevelRecord().RecordType, new ProducerIdsRecord().RecordType,
            new BrokerRegistrationChangeRecord().RecordType, new NoOpRecord().RecordType,
        ];
        short[] kafkas = [1, 5, 7, 8, 12, 15, 17, 20];
        Assert.Equal(kafkas, types);
    }

    [Fact]
    public void RegisterBrokerRecord_round_trips_at_v3_with_features_shutdown_and_log_dirs()
    {
        var record = new RegisterBrokerRecord
        {
            BrokerId = 4,
            IsMigratingZkBroker = false,
            IncarnationId = KafkaUuid.NewRandom(Seeded),
            BrokerEpoch = 99,
            Endpoints = [new() { Name = "PLAINTEXT", Host = "b4", Port = 9092, SecurityProtocol = 0 }],
            Features = [new() { Name = "metadata.version", MinSupportedVersion = 7, MaxSupportedVersion = 22 }],
            Rack = "r1",
            Fenced = true,
            InControlledShutdown = true,
            LogDirs = [DirA, DirB],
        };
        Assert.Equal((short)3, record.CurrentVersion);
        var decoded = RoundTrip(record);
        Assert.Equal((4, record.IncarnationId, 99L, "r1", true, true), (decoded.BrokerId, decoded.IncarnationId, decoded.BrokerEpoch, decoded.Rack, decoded.Fenced, decoded.InControlledShutdown));
        var feature = Assert.Single(decoded.Features);
        Assert.Equal(("metadata.version", (short)7, (short)22), (feature.Name, feature.MinSupportedVersion, feature.MaxSupportedVersion));
        Assert.Equal([DirA, DirB], decoded.LogDirs);
        Assert.Equal(9092, Assert.Single(decoded.Endpoints).Port);
    }

    [Fact]
    public void RegisterBrokerRecord_v0_as_earlier_builds_stored_it_still_reads()
    {
        var incarnation = new KafkaUuid(0x0102030405060708, 0x1112131415161718);
        byte[] stored =
        [
            0, 0, 0, 0,                                    // type 0, version 0
            0, 0, 0, 3,                                    // BrokerId
            1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, // IncarnationId
            0, 0, 0, 0, 0, 0, 0, 42,                       // BrokerEpoch
            2,                                             // Endpoints: one
            3, (byte)'E', (byte)'X',                       //   Name
            2, (byte)'h',                                  //   Host
            0, 0, 0x23, 0x84,                              //   Port (int32 9092)
            0, 0,                                          //   SecurityProtocol
            0,                                             //   tagged fields
            0,                                             // Rack: null
            0,                                             // Fenced
            0,                                             // tagged fields
        ];
        var read = Assert.IsType<RegisterBrokerRecord>(MetadataRecordCodec.Decode(stored));
        Assert.Equal((3, incarnation, 42L, (string?)null, false), (read.BrokerId, read.IncarnationId, read.BrokerEpoch, read.Rack, read.Fenced));
        var endpoint = Assert.Single(read.Endpoints);
        Assert.Equal(("EX", "h", 9092, (short)0), (endpoint.Name, endpoint.Host, endpoint.Port, endpoint.SecurityProtocol));
        Assert.Empty(read.Features);
        Assert.False(read.InControlledShutdown);
        Assert.Empty(read.LogDirs);
    }

    [Fact]
    public void PartitionRecord_round_trips_at_v2_with_reassignment_recovery_state_and_eligible_leaders()
    {
        var record = new PartitionRecord
        {
            PartitionId = 3,
            TopicId = Topic,
            Replicas = [1, 2, 3, 4],
            Isr = [1],
            RemovingReplicas = [3],
            AddingReplicas = [4],
            Leader = 1,
            LeaderRecoveryState = 1,
            LeaderEpoch = 7,
            PartitionEpoch = 9,
            EligibleLeaderReplicas = [2],
            LastKnownElr = [3],
        };
        Assert.Equal((short)2, record.CurrentVersion);
        var decoded = RoundTrip(record);
        Assert.Equal((3, Topic, 1, (sbyte)1, 7, 9), (decoded.PartitionId, decoded.TopicId, decoded.Leader, decoded.LeaderRecoveryState, decoded.LeaderEpoch, decoded.PartitionEpoch));
        Assert.Equal([1, 2, 3, 4], decoded.Replicas);
        Assert.Equal([1], decoded.Isr);
        Assert.Equal([3], decoded.RemovingReplicas);
        Assert.Equal([4], decoded.AddingReplicas);
        Assert.Equal([2], decoded.EligibleLeaderReplicas!);
        Assert.Equal([3], decoded.LastKnownElr!);
    }

    [Fact]
    public void PartitionRecord_v0_as_earlier_builds_stored_it_still_reads()
    {
        var topic = new KafkaUuid(0x0102030405060708, 0x1112131415161718);
        byte[] stored =
        [
            0, 3, 0, 0,                                    // type 3, version 0
            0, 0, 0, 2,                                    // PartitionId
            1, 2, 3, 4, 5, 6, 7, 8, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, // TopicId
            3, 0, 0, 0, 1, 0, 0, 0, 2,                     // Replicas [1, 2]
            2, 0, 0, 0, 2,                                 // Isr [2]
            0, 0, 0, 2,                                    // Leader
            0, 0, 0, 5,                                    // LeaderEpoch
            0, 0, 0, 6,                                    // PartitionEpoch
            0,                                             // tagged fields
        ];
        var read = Assert.IsType<PartitionRecord>(MetadataRecordCodec.Decode(stored));
        Assert.Equal((2, topic, 2, 5, 6), (read.PartitionId, read.TopicId, read.Leader, read.LeaderEpoch, read.PartitionEpoch));
        Assert.Equal([1, 2], read.Replicas);
        Assert.Equal([2], read.Isr);
        Assert.Empty(read.RemovingReplicas);
        Assert.Empty(read.AddingReplicas);
        Assert.Equal((sbyte)0, read.LeaderRecoveryState);
        Assert.Null(read.EligibleLeaderReplicas);
        Assert.Null(read.LastKnownElr);
    }

    [Fact]
    public void UnregisterBrokerRecord_round_trips()
    {
        var decoded = RoundTrip(new UnregisterBrokerRecord { BrokerId = 6, BrokerEpoch = 1234 });
        Assert.Equal((6, 1234L), (decoded.BrokerId, decoded.BrokerEpoch));
    }

    [Fact]
    public void PartitionChangeRecord_round_trips_every_field()
    {
        var record = new PartitionChangeRecord
        {
            PartitionId = 2,
            TopicId = Topic,
            Isr = [1, 2],
            Leader = 1,
            Replicas = [1, 2, 3],
            RemovingReplicas = [3],
            AddingReplicas = [4],
            LeaderRecoveryState = 1,
            Directories = [DirA, DirB, DirA],
            EligibleLeaderReplicas = [2],
            LastKnownElr = [3],
        };
        Assert.Equal((short)2, record.CurrentVersion);
        var decoded = RoundTrip(record);
        Assert.Equal((2, Topic, 1, (sbyte)1), (decoded.PartitionId, decoded.TopicId, decoded.Leader, decoded.LeaderRecoveryState));
        Assert.Equal([1, 2], decoded.Isr!);
        Assert.Equal([1, 2, 3], decoded.Replicas!);
        Assert.Equal([3], decoded.RemovingReplicas!);
        Assert.Equal([4], decoded.AddingReplicas!);
        Assert.Equal([DirA, DirB, DirA], decoded.Directories!);
        Assert.Equal([2], decoded.EligibleLeaderReplicas!);
        Assert.Equal([3], decoded.LastKnownElr!);
    }

    [Fact]
    public void PartitionChangeRecord_leaves_out_what_did_not_change()
    {
        var record = new PartitionChangeRecord { PartitionId = 0, TopicId = Topic, Isr = [5] };
        byte[] bytes = MetadataRecordCodec.Encode(record);
        // prefix 4, partition 4, topic id 16, then one tagged field: count, tag, size, compact array of one int32.
        Assert.Equal(4 + 4 + 16 + 1 + 1 + 1 + 1 + 4, bytes.Length);
        var decoded = Assert.IsType<PartitionChangeRecord>(MetadataRecordCodec.Decode(bytes));
        Assert.Equal([5], decoded.Isr!);
        Assert.Equal((-2, (sbyte)-1), (decoded.Leader, decoded.LeaderRecoveryState));
        Assert.Null(decoded.Replicas);
        Assert.Null(decoded.RemovingReplicas);
        Assert.Null(decoded.AddingReplicas);
        Assert.Null(decoded.Directories);
        Assert.Null(decoded.EligibleLeaderReplicas);
        Assert.Null(decoded.LastKnownElr);
    }

    [Fact]
    public void Fence_and_unfence_records_round_trip()
    {
        var fenced = RoundTrip(new FenceBrokerRecord { Id = 3, Epoch = 77 });
        Assert.Equal((3, 77L), (fenced.Id, fenced.Epoch));
        var unfenced = RoundTrip(new UnfenceBrokerRecord { Id = 3, Epoch = 78 });
        Assert.Equal((3, 78L), (unfenced.Id, unfenced.Epoch));
    }

    [Fact]
    public void FeatureLevelRecord_round_trips()
    {
        var decoded = RoundTrip(new FeatureLevelRecord { Name = "kraft.version", FeatureLevel = 1 });
        Assert.Equal(("kraft.version", (short)1), (decoded.Name, decoded.FeatureLevel));
    }

    [Fact]
    public void ProducerIdsRecord_round_trips()
    {
        var decoded = RoundTrip(new ProducerIdsRecord { BrokerId = 2, BrokerEpoch = 40, NextProducerId = 5000 });
        Assert.Equal((2, 40L, 5000L), (decoded.BrokerId, decoded.BrokerEpoch, decoded.NextProducerId));
        Assert.Equal(-1, new ProducerIdsRecord().BrokerEpoch);
    }

    [Fact]
    public void BrokerRegistrationChangeRecord_round_trips()
    {
        var record = new BrokerRegistrationChangeRecord { BrokerId = 5, BrokerEpoch = 12, Fenced = -1, InControlledShutdown = 1, LogDirs = [DirB] };
        Assert.Equal((short)2, record.CurrentVersion);
        var decoded = RoundTrip(record);
        Assert.Equal((5, 12L, (sbyte)-1, (sbyte)1), (decoded.BrokerId, decoded.BrokerEpoch, decoded.Fenced, decoded.InControlledShutdown));
        Assert.Equal([DirB], decoded.LogDirs);

        // Nothing changed but the epoch: no tagged field is written.
        byte[] bare = MetadataRecordCodec.Encode(new BrokerRegistrationChangeRecord { BrokerId = 5, BrokerEpoch = 13 });
        Assert.Equal(4 + 4 + 8 + 1, bare.Length);
        var read = Assert.IsType<BrokerRegistrationChangeRecord>(MetadataRecordCodec.Decode(bare));
        Assert.Equal(((sbyte)0, (sbyte)0), (read.Fenced, read.InControlledShutdown));
        Assert.Empty(read.LogDirs);
    }

    [Fact]
    public void NoOpRecord_is_its_type_version_and_an_empty_tag_section()
    {
        byte[] bytes = MetadataRecordCodec.Encode(new NoOpRecord());
        byte[] expected = [0, 20, 0, 0, 0];
        Assert.Equal(expected, bytes);
        Assert.IsType<NoOpRecord>(MetadataRecordCodec.Decode(bytes));
    }
}
