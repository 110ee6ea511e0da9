using Gregor.Metadata.Records;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Tests;

public sealed class BrokerFoldTests
{
    private static readonly KafkaUuid Topic = KafkaUuid.NewRandom(new Random(11));

    private static MetadataImage WithBrokerAndPartition()
    {
        var image = MetadataImage.Empty("c", 1)
            .Apply(new RegisterBrokerRecord { BrokerId = 2, BrokerEpoch = 5, Fenced = true, Endpoints = [new RegisterBrokerRecord.BrokerEndpoint { Name = "PLAINTEXT", Host = "h", Port = 1 }] }, 5)
            .Apply(new TopicRecord { Name = "t", TopicId = Topic }, 6);
        return image.Apply(new PartitionRecord { TopicId = Topic, PartitionId = 0, Replicas = [2, 3], Isr = [2, 3], Leader = 2, LeaderEpoch = 4, PartitionEpoch = 7 }, 7);
    }

    [Fact]
    public void Fencing_records_change_only_the_broker_and_epoch_they_name()
    {
        var image = WithBrokerAndPartition();
        Assert.Equal((true, 5L, 5L), (image.Brokers[2].Fenced, image.Brokers[2].Epoch, image.Brokers[2].RegistrationOffset));
        image = image.Apply(new UnfenceBrokerRecord { Id = 2, Epoch = 5 }, 8);
        Assert.False(image.Brokers[2].Fenced);
        image = image.Apply(new BrokerRegistrationChangeRecord { BrokerId = 2, BrokerEpoch = 5, InControlledShutdown = 1 }, 9);
        Assert.True(image.Brokers[2].InControlledShutdown);
        Assert.False(image.Brokers[2].IsActive);
        image = image.Apply(new BrokerRegistrationChangeRecord { BrokerId = 2, BrokerEpoch = 5, Fenced = 1 }, 10);
        Assert.Equal((true, true), (image.Brokers[2].Fenced, image.Brokers[2].InControlledShutdown));
        image = image.Apply(new BrokerRegistrationChangeRecord { BrokerId = 2, BrokerEpoch = 5, Fenced = -1 }, 11);
        Assert.False(image.Brokers[2].Fenced);

        Assert.Throws<MetadataLogCorruptException>(() => image.Apply(new FenceBrokerRecord { Id = 2, Epoch = 4 }, 12));
        Assert.Throws<MetadataLogCorruptException>(() => image.Apply(new FenceBrokerRecord { Id = 3, Epoch = 5 }, 12));
        Assert.Throws<MetadataLogCorruptException>(() => image.Apply(new UnregisterBrokerRecord { BrokerId = 2, BrokerEpoch = 6 }, 12));
        Assert.False(image.Apply(new UnregisterBrokerRecord { BrokerId = 2, BrokerEpoch = 5 }, 12).Brokers.ContainsKey(2));
    }

    [Fact]
    public void A_partition_change_bumps_the_leader_epoch_when_it_names_a_leader_and_the_partition_epoch_always()
    {
        var image = WithBrokerAndPartition();
        image = image.Apply(new PartitionChangeRecord { TopicId = Topic, PartitionId = 0, Isr = [2] }, 8);
        var p = image.Topic("t")!.Partitions[0];
        Assert.Equal((2, 4, 8, "2", "2.3"), (p.Leader, p.LeaderEpoch, p.PartitionEpoch, string.Join('.', p.Isr), string.Join('.', p.Replicas)));

        image = image.Apply(new PartitionChangeRecord { TopicId = Topic, PartitionId = 0, Leader = -1 }, 9);
        p = image.Topic("t")!.Partitions[0];
        Assert.Equal((-1, 5, 9), (p.Leader, p.LeaderEpoch, p.PartitionEpoch));

        image = image.Apply(new PartitionChangeRecord { TopicId = Topic, PartitionId = 0, Leader = -1, Replicas = [2] }, 10);
        p = image.Topic("t")!.Partitions[0];
        Assert.Equal((-1, 6, 10, "2"), (p.Leader, p.LeaderEpoch, p.PartitionEpoch, string.Join('.', p.Replicas)));

        Assert.Throws<MetadataLogCorruptException>(() => image.Apply(new PartitionChangeRecord { TopicId = Topic, PartitionId = 1, Leader = 2 }, 11));
        Assert.Throws<MetadataLogCorruptException>(() => image.Apply(new PartitionChangeRecord { TopicId = KafkaUuid.NewRandom(new Random(1)), PartitionId = 0 }, 11));
    }

    [Fact]
    public void A_partition_change_sets_the_reassignment_lists_eligible_leaders_and_recovery_state_and_keeps_what_it_leaves_out()
    {
        var image = WithBrokerAndPartition();
        image = image.Apply(new PartitionChangeRecord { TopicId = Topic, PartitionId = 0, Replicas = [2, 3, 4], AddingReplicas = [4], RemovingReplicas = [3] }, 8);
        image = image.Apply(new PartitionChangeRecord { TopicId = Topic, PartitionId = 0, Isr = [2], EligibleLeaderReplicas = [3], LastKnownElr = [4] }, 9);
        var p = image.Topic("t")!.Partitions[0];
        Assert.Equal(("2.3.4", "4", "3", "2", "3", "4", LeaderRecoveryState.Recovered),
            (string.Join('.', p.Replicas), string.Join('.', p.AddingReplicas), string.Join('.', p.RemovingReplicas), string.Join('.', p.Isr), string.Join('.', p.Elr), string.Join('.', p.LastKnownElr), p.LeaderRecoveryState));

        image = image.Apply(new PartitionChangeRecord { TopicId = Topic, PartitionId = 0, Leader = 3, Isr = [3], EligibleLeaderReplicas = [], LeaderRecoveryState = (sbyte)LeaderRecoveryState.Recovering }, 10);
        p = image.Topic("t")!.Partitions[0];
        Assert.Equal(("", "4", LeaderRecoveryState.Recovering, "4", "3"), (string.Join('.', p.Elr), string.Join('.', p.LastKnownElr), p.LeaderRecoveryState, string.Join('.', p.AddingReplicas), string.Join('.', p.RemovingReplicas)));

        image = image.Apply(new PartitionChangeRecord { TopicId = Topic, PartitionId = 0, AddingReplicas = [], RemovingReplicas = [], LeaderRecoveryState = (sbyte)LeaderRecoveryState.Recovered }, 11);
        p = image.Topic("t")!.Partitions[0];
        Assert.Equal((0, 0, LeaderRecoveryState.Recovered), (p.AddingReplicas.Length, p.RemovingReplicas.Length, p.LeaderRecoveryState));
        Assert.Throws<MetadataLogCorruptException>(() => image.Apply(new PartitionChangeRecord { TopicId = Topic, PartitionId = 0, LeaderRecoveryState = 2 }, 12));
    }
}
