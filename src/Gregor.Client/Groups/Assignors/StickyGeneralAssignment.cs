namespace Gregor.Client.Groups;

/// <summary>
/// Sticky assignment when members subscribe to different topics. Every member first keeps what it
/// validly owns; each remaining partition (those with the fewest possible takers first) goes to the
/// least-loaded member subscribed to its topic; then partitions are shifted while some member could
/// pass work, directly or along a chain of members each handing one partition to the next, to a
/// member holding at least two fewer. When no such chain is left the assignment is as balanced as
/// the subscriptions allow (no member could take a partition off a busier one without the busier
/// one then being the lighter), and only partitions that had to move have moved.
/// </summary>
internal static class StickyGeneralAssignment
{
    public static Dictionary<string, List<TopicPartition>> Assign(
        IReadOnlyDictionary<string, int> partitionsPerTopic, IReadOnlyList<MemberSubscription> orderedMembers, OwnershipClaims claims)
    {
        int n = orderedMembers.Count;
        var ids = orderedMembers.Select(m => m.MemberId).ToArray();
        var subscribed = orderedMembers.Select(m => new HashSet<string>(m.Topics.Where(partitionsPerTopic.ContainsKey), StringComparer.Ordinal)).ToArray();
        var held = new List<TopicPartition>[n];
        var originallyOwned = new HashSet<TopicPartition>[n];
        var assigned = new HashSet<TopicPartition>();
        for (int i = 0; i < n; i++)
        {
            held[i] = [.. claims.Valid[ids[i]]];
            originallyOwned[i] = [.. held[i]];
            assigned.UnionWith(held[i]);
        }

        var takers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var topics in subscribed)
            foreach (string topic in topics) takers[topic] = takers.GetValueOrDefault(topic) + 1;
        var unassigned = StickyConstrainedAssignment.AllPartitions(partitionsPerTopic, takers.Keys)
            .Where(tp => !assigned.Contains(tp))
            .OrderBy(tp => takers[tp.Topic]).ThenBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition.Value)
            .ToList();
        foreach (var tp in unassigned)
        {
            int best = -1;
            for (int i = 0; i < n; i++)
                if (subscribed[i].Contains(tp.Topic) && (best < 0 || held[i].Count < held[best].Count)) best = i;
            held[best].Add(tp);
        }

        while (ShiftAlongAChain(held, subscribed, originallyOwned)) { }

        var result = new Dictionary<string, List<TopicPartition>>(StringComparer.Ordinal);
        for (int i = 0; i < n; i++) result[ids[i]] = held[i];
        return result;
    }

    /// <summary>
    /// Finds, for the busiest member that has one, the shortest chain of hand-overs ending at a
    /// member with at least two partitions fewer, and carries it out. False when there is none.
    /// </summary>
    private static bool ShiftAlongAChain(List<TopicPartition>[] held, HashSet<string>[] subscribed, HashSet<TopicPartition>[] originallyOwned)
    {
        int n = held.Length;
        var byLoad = Enumerable.Range(0, n).OrderByDescending(i => held[i].Count).ThenBy(i => i).ToArray();
        var from = new int[n];
        var moved = new TopicPartition?[n];
        var depth = new int[n];
        var queue = new Queue<int>();
        foreach (int source in byLoad)
        {
            int limit = held[source].Count - 2;
            if (limit < 0) break; // everyone after is lighter still
            Array.Fill(from, -1);
            Array.Fill(depth, -1);
            depth[source] = 0;
            queue.Clear();
            queue.Enqueue(source);
            int target = -1;
            while (queue.Count > 0)
            {
                int x = queue.Dequeue();
                foreach (var tp in InHandOverOrder(held[x], originallyOwned[x]))
                {
                    for (int y = 0; y < n; y++)
                    {
                        if (depth[y] >= 0 || !subscribed[y].Contains(tp.Topic)) continue;
                        depth[y] = depth[x] + 1;
                        from[y] = x;
                        moved[y] = tp;
                        queue.Enqueue(y);
                        if (held[y].Count <= limit && (target < 0 || Better(y, target, held, depth))) target = y;
                    }
                }
            }
            if (target < 0) continue;
            for (int y = target; y != source; y = from[y])
            {
                var tp = moved[y]!;
                held[from[y]].Remove(tp);
                held[y].Add(tp);
            }
            return true;
        }
        return false;
    }

    private static bool Better(int candidate, int current, List<TopicPartition>[] held, int[] depth)
    {
        if (held[candidate].Count != held[current].Count) return held[candidate].Count < held[current].Count;
        if (depth[candidate] != depth[current]) return depth[candidate] < depth[current];
        return candidate < current;
    }

    /// <summary>A member hands over what it was given in this round before what it already owned.</summary>
    private static IEnumerable<TopicPartition> InHandOverOrder(List<TopicPartition> partitions, HashSet<TopicPartition> owned) =>
        partitions.OrderBy(tp => owned.Contains(tp) ? 1 : 0).ThenBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition.Value);
}
