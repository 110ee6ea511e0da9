using Gregor.Metadata.Records;

namespace Gregor.Metadata.Controller;

/// <summary>
/// Automatic preferred leader election (<c>auto.leader.rebalance.enable</c>): leadership that moved away from a
/// partition's first replica while it was down goes back once it is in sync again, so leaders stay spread as placed.
/// </summary>
public sealed partial class QuorumController
{
    /// <summary>
    /// One rebalance check, Kafka's rule: for each broker, the share of the partitions it is the preferred replica of
    /// that it does not lead; above <paramref name="imbalancePerBrokerPercentage"/> (<c>leader.imbalance.per.broker.percentage</c>)
    /// each of those partitions whose preferred replica is an active ISR member, and that is not being reassigned,
    /// gets it back as leader. All changes commit as one batch. Returns the partitions whose leader moved.
    /// </summary>
    public Task<IReadOnlyList<TopicPartitionRef>> BalanceLeadersAsync(int imbalancePerBrokerPercentage, CancellationToken cancellationToken = default) =>
        RunAsync(commit: true, cancellationToken, op =>
        {
            var moved = new List<TopicPartitionRef>();
            var byPreferred = op.Image.TopicsByName.Values.OrderBy(t => t.Name, StringComparer.Ordinal)
                .SelectMany(t => t.Partitions.Where(p => p.Replicas.Length > 0).Select(p => (Topic: t, Partition: p)))
                .GroupBy(x => x.Partition.Replicas[0])
                .OrderBy(g => g.Key);
            foreach (var broker in byPreferred)
            {
                var notLed = broker.Where(x => x.Partition.Leader != broker.Key).ToList();
                if (notLed.Count * 100.0 / broker.Count() <= imbalancePerBrokerPercentage) continue;
                foreach (var (topic, partition) in notLed)
                {
                    if (IsReassigning(partition) || !partition.Isr.Contains(broker.Key) || !IsActiveBroker(op.Image, broker.Key)) continue;
                    if (PreferredElection(op.Image, topic, partition) is { Leader: >= 0 } record)
                    {
                        AddPartitionChange(op, record);
                        moved.Add(new TopicPartitionRef(topic.Name, partition.Partition));
                    }
                }
            }
            return (IReadOnlyList<TopicPartitionRef>)moved;
        });
}
