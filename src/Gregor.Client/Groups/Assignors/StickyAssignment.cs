namespace Gregor.Client.Groups;

/// <summary>Sticky assignment: the constrained algorithm when all subscriptions are equal, else the general one.</summary>
internal static class StickyAssignment
{
    public static Dictionary<string, List<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<MemberSubscription> members,
        Func<MemberSubscription, int> generationOf, out OwnershipClaims claims)
    {
        var ordered = MemberOrder.Sorted(members);
        claims = OwnershipClaims.Resolve(partitionsPerTopic, ordered, generationOf);
        if (ordered.Count == 0) return new Dictionary<string, List<TopicPartition>>(StringComparer.Ordinal);
        return AllSubscriptionsEqual(ordered)
            ? StickyConstrainedAssignment.Assign(partitionsPerTopic, ordered, claims)
            : StickyGeneralAssignment.Assign(partitionsPerTopic, ordered, claims);
    }

    private static bool AllSubscriptionsEqual(IReadOnlyList<MemberSubscription> members)
    {
        var first = new HashSet<string>(members[0].Topics, StringComparer.Ordinal);
        return members.All(m => first.SetEquals(m.Topics));
    }
}
