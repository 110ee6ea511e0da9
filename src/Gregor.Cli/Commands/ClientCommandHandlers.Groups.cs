using Gregor.Cli.Output;
using Gregor.Client;
using Gregor.Client.Admin;

namespace Gregor.Cli.Commands;

// gregor group list|describe|delete|reset-offsets, through the admin client's consumer-group operations.
internal sealed partial class ClientCommandHandlers
{
    public Task<int> GroupListAsync(GroupListArgs args, CancellationToken cancellationToken) => Guarded("group list", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        var listed = await admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { MatchStates = args.States.Count > 0 ? args.States : null }).ConfigureAwait(false);
        new ResultWriter(_out, args.Target.Output).GroupList(
            [.. listed.Valid.Select(g => new GroupListingView(g.GroupId, g.State.ToString(), g.IsSimpleConsumerGroup))], args.ShowState);
        return 0;
    });

    /// <summary>The group's description; null after printing why when it does not exist.</summary>
    private async Task<ConsumerGroupDescription?> ExistingGroupAsync(IAdminClient admin, string command, string group)
    {
        var description = (await admin.DescribeConsumerGroupsAsync([group]).ConfigureAwait(false)).ConsumerGroupDescriptions.Single();
        if (description.State != ConsumerGroupState.Dead) return description;
        await Fail(command, $"consumer group '{group}' does not exist").ConfigureAwait(false);
        return null;
    }

    public Task<int> GroupDescribeAsync(GroupDescribeArgs args, CancellationToken cancellationToken) => Guarded("group describe", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        if (await ExistingGroupAsync(admin, "group describe", args.Group).ConfigureAwait(false) is not { } group) return 1;
        var writer = new ResultWriter(_out, args.Target.Output);
        switch (args.View)
        {
            case GroupDescribeView.Members:
                writer.GroupMembers(new GroupMembersView(group.GroupId, group.State.ToString(), [.. group.Members.Select(m => new GroupMemberView(
                    m.ConsumerId, m.GroupInstanceId, m.Host, m.ClientId,
                    [.. m.Assignment.TopicPartitions.Order().Select(tp => new AssignedPartitionView(tp.Topic, tp.Partition))]))]), args.Verbose);
                return 0;
            case GroupDescribeView.State:
                var coordinator = group.Coordinator;
                writer.GroupState(new GroupStateView(group.GroupId, coordinator?.Id ?? -1, coordinator is null ? "-" : $"{coordinator.Host}:{coordinator.Port}",
                    group.PartitionAssignor, group.State.ToString(), group.Members.Count));
                return 0;
            default:
                writer.GroupOffsets(await PartitionLagAsync(admin, group).ConfigureAwait(false), group.Members.Count > 0);
                return 0;
        }
    });

    /// <summary>
    /// Every partition the group has a committed offset for or a member is assigned, with its log end and
    /// lag (log end − committed; none without a committed offset), as kafka-consumer-groups --describe.
    /// </summary>
    private static async Task<GroupOffsetsView> PartitionLagAsync(IAdminClient admin, ConsumerGroupDescription group)
    {
        var committed = (await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(group.GroupId, null)]).ConfigureAwait(false))
            .Single().Partitions.Where(p => !p.Offset.IsSpecial)
            .ToDictionary(p => new TopicPartition(p.Topic, p.Partition), p => p.Offset.Value);
        var owners = new Dictionary<TopicPartition, MemberDescription>();
        foreach (var member in group.Members)
            foreach (var tp in member.Assignment.TopicPartitions)
                owners[tp] = member;
        var partitions = committed.Keys.Union(owners.Keys).Order().ToList();
        var logEnds = await OffsetsForAsync(admin, partitions, OffsetSpec.Latest()).ConfigureAwait(false);
        var rows = partitions.Select(tp =>
        {
            long? current = committed.TryGetValue(tp, out long c) ? c : null;
            long? logEnd = logEnds[tp] is { Error.IsError: false } end ? end.Offset.Value : null;
            long? lag = current is not null && logEnd is not null ? logEnd.Value - current.Value : null;
            var owner = owners.GetValueOrDefault(tp);
            return new GroupPartitionView(tp.Topic, tp.Partition, current, logEnd, lag, owner?.ConsumerId, owner?.Host, owner?.ClientId);
        }).ToList();
        return new GroupOffsetsView(group.GroupId, group.State.ToString(), rows);
    }

    public Task<int> GroupDeleteAsync(GroupDeleteArgs args, CancellationToken cancellationToken) => Guarded("group delete", args.Target, async () =>
    {
        using var admin = AdminFor(args.Target);
        try
        {
            await admin.DeleteGroupsAsync([args.Group]).ConfigureAwait(false);
        }
        catch (DeleteGroupsException e)
        {
            var error = e.Results.Single().Error;
            return await Fail("group delete", error.Code switch
            {
                ErrorCode.NonEmptyGroup => $"consumer group '{args.Group}' is not empty: it has active members",
                ErrorCode.GroupIdNotFound => $"consumer group '{args.Group}' does not exist",
                _ => $"consumer group '{args.Group}': {error.Reason}",
            }).ConfigureAwait(false);
        }
        new ResultWriter(_out, args.Target.Output).GroupAction(new GroupActionView("Deleted", args.Group));
        return 0;
    });

    public Task<int> GroupResetOffsetsAsync(GroupResetOffsetsArgs args, CancellationToken cancellationToken) => Guarded("group reset-offsets", args.Target, async () =>
    {
        const string command = "group reset-offsets";
        using var admin = AdminFor(args.Target);
        var group = (await admin.DescribeConsumerGroupsAsync([args.Group]).ConfigureAwait(false)).ConsumerGroupDescriptions.Single();
        // As Kafka: only an inactive group (no members, or none yet) may have its offsets moved; checked for a dry run too.
        if (group.State is not (ConsumerGroupState.Empty or ConsumerGroupState.Dead))
        {
            return await Fail(command, $"consumer group '{args.Group}' is {group.State} with {group.Members.Count} member(s); "
                + "offsets can only be reset while it has no active members").ConfigureAwait(false);
        }
        var committed = (await admin.ListConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitions(args.Group, null)]).ConfigureAwait(false))
            .Single().Partitions.Where(p => !p.Offset.IsSpecial)
            .ToDictionary(p => new TopicPartition(p.Topic, p.Partition), p => p.Offset.Value);
        var partitions = new List<TopicPartition>();
        if (args.AllTopics)
        {
            if (committed.Count == 0) return await Fail(command, $"consumer group '{args.Group}' has no committed offsets; name the topics with --topic").ConfigureAwait(false);
            partitions.AddRange(committed.Keys.Order());
        }
        foreach (var selection in args.Topics)
        {
            if (await PartitionsOfAsync(admin, command, selection.Topic, selection.Partitions).ConfigureAwait(false) is not { } found) return 1;
            partitions.AddRange(found.Where(tp => !partitions.Contains(tp)));
        }

        var bounds = await LogBoundsAsync(admin, partitions).ConfigureAwait(false);
        if (bounds.FirstOrDefault(b => b.Value.Error.IsError) is { Key: { } failedAt } failed)
            return await Fail(command, $"{failedAt.Topic} {failedAt.Partition.Value}: {failed.Value.Error.Reason}").ConfigureAwait(false);
        var atTime = args.Reset.Kind == ResetKind.ToDatetime
            ? await OffsetsForAsync(admin, partitions, OffsetSpec.ForTimestamp(args.Reset.Value)).ConfigureAwait(false)
            : null;
        var plan = new List<ResetPartitionView>(partitions.Count);
        foreach (var tp in partitions)
        {
            long? current = committed.TryGetValue(tp, out long c) ? c : null;
            long? found = atTime?[tp] is { Error.IsError: false } hit && !hit.Offset.IsSpecial ? hit.Offset.Value : null;
            var position = new PartitionPosition(current, bounds[tp].Earliest, bounds[tp].LogEnd, found);
            if (OffsetResetPlanner.NewOffset(args.Reset, position, out string? why) is not { } newOffset)
                return await Fail(command, $"{tp.Topic} {tp.Partition.Value}: {why}").ConfigureAwait(false);
            plan.Add(new ResetPartitionView(tp.Topic, tp.Partition, current, newOffset));
        }

        if (args.Execute)
        {
            try
            {
                await admin.AlterConsumerGroupOffsetsAsync([new ConsumerGroupTopicPartitionOffsets(args.Group,
                    [.. plan.Select(p => new TopicPartitionOffset(p.Topic, p.Partition, p.NewOffset))])]).ConfigureAwait(false);
            }
            catch (AlterConsumerGroupOffsetsException e) when (e.Error.Code == ErrorCode.UnknownMemberId)
            {
                // A member joined between the check and the commit; the coordinator refused, nothing changed.
                return await Fail(command, $"consumer group '{args.Group}' has active members now; the coordinator refused the reset ({e.Error.Reason})").ConfigureAwait(false);
            }
        }
        new ResultWriter(_out, args.Target.Output).ResetPlan(new ResetPlanView(args.Group, args.Execute, plan));
        if (!args.Execute && args.Target.Output == OutputFormat.Table)
            await _error.WriteLineAsync("Dry run: no offsets changed; add --execute to apply them.").ConfigureAwait(false);
        return 0;
    });
}
