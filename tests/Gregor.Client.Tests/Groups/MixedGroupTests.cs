using Gregor.Client.Admin;
using Gregor.Client.Groups;
using Gregor.Client.Tests.Integration;
using Xunit.Abstractions;

namespace Gregor.Client.Tests.Groups;

/// <summary>
/// A Gregor membership and a confluent-kafka consumer (librdkafka 2.0.2) in one group on a
/// 6-partition topic, with range and with cooperative-sticky, each side leading once: whoever
/// leads, the two end with disjoint halves that cover the topic. That takes the subscription and
/// assignment bytes being read the same way on both sides, and the assignors agreeing.
/// </summary>
public sealed class MixedGroupTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("range", true)]
    [InlineData("range", false)]
    [InlineData("cooperative-sticky", true)]
    [InlineData("cooperative-sticky", false)]
    public async Task A_member_and_a_confluent_kafka_consumer_converge_on_a_disjoint_complete_assignment(string strategy, bool gregorLeads)
    {
        await using var broker = await ClientTestBroker.StartAsync(MembershipIntegrationTests.BrokerSettings);
        const string topic = "mixed";
        await MembershipIntegrationTests.CreateTopicAsync(broker, topic, 6);
        string group = "mixed-" + strategy + (gregorLeads ? "-gregor" : "-librdkafka");
        TestGroupConsumer? ours = null;
        ConfluentMember? theirs = null;
        try
        {
            if (gregorLeads)
            {
                ours = new TestGroupConsumer("gregor", broker.Bootstrap, MembershipIntegrationTests.Settings(group, strategy), [topic]);
                await MembershipIntegrationTests.ConvergedAsync([ours], topic, 6);
                theirs = ConfluentMember.Start(broker.Bootstrap, group, topic, strategy);
            }
            else
            {
                theirs = ConfluentMember.Start(broker.Bootstrap, group, topic, strategy);
                await GroupTestSupport.WaitUntilAsync(() => theirs.Assignment.Count == 6 || theirs.HasExited, () => "confluent-kafka never got the 6 partitions alone: " + theirs.Output);
                Assert.False(theirs.HasExited, "confluent-kafka exited: " + theirs.Output);
                ours = new TestGroupConsumer("gregor", broker.Bootstrap, MembershipIntegrationTests.Settings(group, strategy), [topic]);
            }

            // Settled on both sides and at the coordinator: no member is about to take something back.
            await GroupTestSupport.WaitUntilAsync(async () => theirs.HasExited || (Split(ours, theirs) && Settled(ours) && await CoordinatorAgreesAsync(broker, group, ours, theirs)),
                () => Describe(ours, theirs));
            Assert.False(theirs.HasExited, "confluent-kafka exited: " + theirs.Output);
            Assert.Equal(3, ours.Held.Count);
            Assert.Equal(gregorLeads, ours.Membership.IsLeader);
            output.WriteLine(Describe(ours, theirs));
            Assert.Empty(ours.Errors);

            // The confluent-kafka consumer leaves; the Gregor member takes everything.
            await theirs.StopAsync();
            await MembershipIntegrationTests.ConvergedAsync([ours], topic, 6);
        }
        finally
        {
            if (theirs is not null) await theirs.DisposeAsync();
            if (ours is not null) await ours.DisposeAsync();
        }
    }

    private static bool Split(TestGroupConsumer ours, ConfluentMember theirs)
    {
        var mine = ours.Held.Select(tp => tp.Partition.Value).ToHashSet();
        var other = theirs.Assignment;
        return mine.Count > 0 && other.Count > 0 && !mine.Overlaps(other) && mine.Count + other.Count == 6;
    }

    /// <summary>The coordinator has the group Stable with the two, each assigned exactly what it holds.</summary>
    private static async Task<bool> CoordinatorAgreesAsync(ClientTestBroker broker, string group, TestGroupConsumer ours, ConfluentMember theirs)
    {
        if (await GroupTestSupport.DescribeGroupAsync(broker, group) is not { State: ConsumerGroupState.Stable, Members.Count: 2 } described)
            return false;
        var mine = described.Members.SingleOrDefault(m => m.ConsumerId == ours.Membership.MemberId);
        var other = described.Members.SingleOrDefault(m => m.ConsumerId != ours.Membership.MemberId);
        return mine is not null && other is not null
            && mine.Assignment.TopicPartitions.ToHashSet().SetEquals(ours.Held)
            && other.Assignment.TopicPartitions.Select(tp => tp.Partition.Value).ToHashSet().SetEquals(theirs.Assignment);
    }

    private static bool Settled(TestGroupConsumer ours) =>
        ours.Membership.State == MembershipState.Stable && !ours.Membership.RejoinNeeded && !ours.Membership.Assignment.Except(ours.Held).Any();

    private static string Describe(TestGroupConsumer ours, ConfluentMember theirs) =>
        $"gregor {ours.Membership.State} g{ours.Membership.GenerationId} leader={ours.Membership.IsLeader} holds [{string.Join(",", ours.Held.Select(p => p.Partition.Value).Order())}] " +
        $"log {string.Join(" | ", ours.Log)} errors {string.Join(" | ", ours.Errors.Select(e => e.Message))}; confluent-kafka: {theirs.Output}";
}
