using Gregor.Cli.Output;
using Gregor.Client;
using Gregor.Client.Admin;

namespace Gregor.Cli.Commands;

// Leader elections and partition moves, through the admin client.
internal sealed partial class ClientCommandHandlers
{
    public Task<int> PartitionElectAsync(PartitionElectArgs args, CancellationToken cancellationToken) => Guarded("partition elect", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        List<TopicPartition>? partitions = null;
        if (args.Topic is { } topicName)
        {
            var topic = admin.GetMetadata(topicName, MetadataTimeout).Topics.SingleOrDefault(t => t.Topic == topicName);
            if (topic is null || topic.Error.Code == ErrorCode.UnknownTopicOrPartition)
                return await Fail("partition elect", $"topic '{topicName}' does not exist").ConfigureAwait(false);
            partitions = args.Partition is { } p ? [new TopicPartition(topicName, p)]
                : [.. topic.Partitions.Select(x => new TopicPartition(topicName, x.PartitionId)).Order()];
        }
        else if (args.Type == ElectionType.Unclean)
        {
            return await Fail("partition elect", "an unclean election names its topic").ConfigureAwait(false);
        }
        List<TopicPartitionError> results;
        try
        {
            results = (await admin.ElectLeadersAsync(args.Type, partitions).ConfigureAwait(false)).TopicPartitions;
        }
        catch (ElectLeadersException e)
        {
            results = e.Results.TopicPartitions;
        }
        var views = results.Select(r => new PartitionOutcomeView(r.Topic, r.Partition.Value,
            r.Error.Code switch
            {
                ErrorCode.NoError => "leader elected",
                ErrorCode.ElectionNotNeeded => "no election needed",
                _ => "failed",
            },
            r.Error.IsError && r.Error.Code != ErrorCode.ElectionNotNeeded ? r.Error.Reason : null)).ToList();
        new ResultWriter(_out, args.Target.Output).PartitionOutcomes(views);
        return views.Any(v => v.Error is not null) ? 1 : 0;
    });

    public Task<int> PartitionReassignAsync(PartitionReassignArgs args, CancellationToken cancellationToken) => Guarded("partition reassign", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        try
        {
            await admin.AlterPartitionReassignmentsAsync([new PartitionReassignmentSpecification { Topic = args.Topic, Partition = args.Partition, Replicas = args.Replicas }]).ConfigureAwait(false);
        }
        catch (AlterPartitionReassignmentsException e)
        {
            return await Fail("partition reassign", $"{args.Topic}-{args.Partition}: {e.Results[0].Error.Reason}").ConfigureAwait(false);
        }
        string outcome = args.Replicas is null ? "move cancelled" : $"moving to {string.Join(",", args.Replicas)}";
        new ResultWriter(_out, args.Target.Output).PartitionOutcomes([new PartitionOutcomeView(args.Topic, args.Partition, outcome, null)]);
        return 0;
    });

    public Task<int> PartitionReassignmentsAsync(PartitionReassignmentsArgs args, CancellationToken cancellationToken) => Guarded("partition reassignments", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        var ongoing = await admin.ListPartitionReassignmentsAsync().ConfigureAwait(false);
        var views = ongoing.Where(r => args.Topic is null || r.Topic == args.Topic)
            .OrderBy(r => r.Topic, StringComparer.Ordinal).ThenBy(r => r.Partition)
            .Select(r => new ReassignmentView(r.Topic, r.Partition, r.Replicas, r.AddingReplicas, r.RemovingReplicas)).ToList();
        new ResultWriter(_out, args.Target.Output).Reassignments(views);
        return 0;
    });
}
