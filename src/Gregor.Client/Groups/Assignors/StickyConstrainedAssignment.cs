namespace Gregor.Client.Groups;

/// <summary>
/// Sticky assignment when every member subscribes to the same topics (Kafka's "constrained" case).
/// With P partitions and N members each member ends with floor(P/N) or ceil(P/N) partitions, and
/// exactly P mod N members with the larger count. Members are taken in <see cref="MemberOrder"/>:
/// each keeps what it owns up to its quota (the larger quota while places for it remain); the rest,
/// in topic then partition order, are dealt round-robin first to members below the smaller quota,
/// then one each to members that may still take the larger one.
/// </summary>
internal static class StickyConstrainedAssignment
{
    public static Dictionary<string, List<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<MemberSubscription> orderedMembers, OwnershipClaims claims)
    {
        var assignment = orderedMembers.ToDictionary(m => m.MemberId, _ => new List<TopicPartition>(), StringComparer.Ordinal);
        var all = AllPartitions(partitionsPerTopic, orderedMembers[0].Topics);
        int total = all.Count;
        int members = orderedMembers.Count;
        int minQuota = total / members;
        int maxQuota = (total + members - 1) / members;
        int expectedAtMax = total % members;
        int atMax = 0;
        var kept = new HashSet<TopicPartition>();
        var belowMin = new List<string>();
        var mayTakeOneMore = new List<string>();

        foreach (var member in orderedMembers)
        {
            var owned = claims.Valid[member.MemberId];
            var target = assignment[member.MemberId];
            int keep;
            if (owned.Count < minQuota)
            {
                keep = owned.Count;
                belowMin.Add(member.MemberId);
            }
            else if (owned.Count >= maxQuota && atMax < expectedAtMax)
            {
                keep = maxQuota;
                atMax++;
                if (atMax == expectedAtMax) mayTakeOneMore.Clear();
            }
            else
            {
                keep = minQuota;
                if (atMax < expectedAtMax) mayTakeOneMore.Add(member.MemberId);
            }
            for (int i = 0; i < keep; i++)
            {
                target.Add(owned[i]);
                kept.Add(owned[i]);
            }
        }

        int cursor = 0;
        foreach (var tp in all)
        {
            if (kept.Contains(tp)) continue;
            string member;
            if (belowMin.Count > 0)
            {
                if (cursor >= belowMin.Count) cursor = 0;
                member = belowMin[cursor];
            }
            else if (mayTakeOneMore.Count > 0)
            {
                member = mayTakeOneMore[0];
                mayTakeOneMore.RemoveAt(0);
            }
            else
            {
                // The quotas add up to the partition count, so this cannot happen.
                throw new InvalidOperationException($"sticky assignment: no member can take {tp}");
            }
            var target = assignment[member];
            target.Add(tp);
            if (belowMin.Count > 0 && belowMin[cursor] == member)
            {
                if (target.Count == minQuota)
                {
                    belowMin.RemoveAt(cursor);
                    if (minQuota < maxQuota && atMax < expectedAtMax) mayTakeOneMore.Add(member);
                }
                else cursor++;
            }
            else if (target.Count == maxQuota)
            {
                atMax++;
            }
        }
        return assignment;
    }

    /// <summary>Every partition of the given topics that exist, sorted by topic then partition.</summary>
    public static List<TopicPartition> AllPartitions(IReadOnlyDictionary<string, int> partitionsPerTopic, IEnumerable<string> topics)
    {
        var result = new List<TopicPartition>();
        foreach (string topic in topics.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            if (!partitionsPerTopic.TryGetValue(topic, out int count)) continue;
            for (int p = 0; p < count; p++) result.Add(new TopicPartition(topic, p));
        }
        return result;
    }
}
