namespace Gregor.Client.Groups;

/// <summary>
/// The order in which Kafka's Java assignors lay members out: static members (with a
/// group.instance.id) first, by instance id; then dynamic members by member id. Strings compare as
/// Java's String.compareTo does (UTF-16 code units), i.e. ordinally. Using the same order is what
/// makes a Gregor leader hand out the same ranges as a Java leader for the same group.
/// </summary>
internal sealed class MemberOrder : IComparer<MemberSubscription>
{
    public static readonly MemberOrder Instance = new();

    public int Compare(MemberSubscription? x, MemberSubscription? y)
    {
        if (ReferenceEquals(x, y)) return 0;
        if (x is null) return -1;
        if (y is null) return 1;
        if (x.GroupInstanceId is not null && y.GroupInstanceId is not null)
            return string.CompareOrdinal(x.GroupInstanceId, y.GroupInstanceId);
        if (x.GroupInstanceId is not null) return -1;
        if (y.GroupInstanceId is not null) return 1;
        return string.CompareOrdinal(x.MemberId, y.MemberId);
    }

    public static List<MemberSubscription> Sorted(IEnumerable<MemberSubscription> members)
    {
        var list = members.ToList();
        list.Sort(Instance);
        return list;
    }
}
