namespace Gregor.Client.Groups;

/// <summary>
/// What a Metadata answer said about topics, as the membership needs it: partition counts of the
/// topics that exist, which of them are internal, and whether it lists every topic (a regex
/// subscription is matched only against a complete list).
/// </summary>
internal sealed record TopicsSnapshot(IReadOnlyDictionary<string, int> PartitionCounts, IReadOnlySet<string> Internal, bool AllTopics)
{
    public static TopicsSnapshot Of(bool allTopics, params (string Topic, int Partitions)[] topics) =>
        new(topics.ToDictionary(t => t.Topic, t => t.Partitions, StringComparer.Ordinal), new HashSet<string>(StringComparer.Ordinal), allTopics);
}
