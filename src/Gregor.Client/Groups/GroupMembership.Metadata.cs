using System.Text.RegularExpressions;

namespace Gregor.Client.Groups;

/// <summary>
/// Topic metadata: a regex subscription is matched against every topic, the leader needs every
/// member's topics to assign, and a rebalance follows when the matched set changes or (watched by
/// the leader) a subscribed topic's partition count does.
/// </summary>
internal sealed partial class GroupMembership
{
    private TopicsSnapshot? _metadata;
    private long _metadataDueMs;
    private int _metadataFailures;

    private enum MetadataNeed
    {
        AllTopics,
        Named,
    }

    private MetadataNeed? MetadataWanted()
    {
        if (_fatal is not null || _leaving) return null;
        if (_pattern is not null) return MetadataNeed.AllTopics;
        bool leaderAssigning = State == MembershipState.CompletingRebalance && IsLeader && _groupMembers is not null && _syncAssignments is null;
        bool leaderWatching = State == MembershipState.Stable && IsLeader && _assignedWith is not null;
        return leaderAssigning || leaderWatching ? MetadataNeed.Named : null;
    }

    private MetadataCall? NextMetadataCall(long nowMs)
    {
        if (nowMs < _metadataDueMs || MetadataWanted() is not { } need) return null;
        IReadOnlyList<string>? topics = need == MetadataNeed.AllTopics ? null : [.. _groupTopics.Union(_subscription, StringComparer.Ordinal)];
        return new MetadataCall(++_nextCallId, _settings.RequestTimeout, topics);
    }

    public void OnMetadata(MetadataCall call, TopicsSnapshot snapshot, long nowMs)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        if (!ReferenceEquals(call, _metadataCall)) return;
        _metadataCall = null;
        _metadataFailures = 0;
        _metadata = snapshot;
        _metadataDueMs = nowMs + (long)_settings.MetadataMaxAge.TotalMilliseconds;
        if (_pattern is not null && snapshot.AllTopics) ResolvePattern(snapshot);
        if (State == MembershipState.CompletingRebalance && IsLeader && _groupMembers is not null && _syncAssignments is null)
        {
            AssignAsLeader(snapshot);
        }
        else if (State == MembershipState.Stable && IsLeader && _assignedWith is not null)
        {
            foreach (string topic in _groupTopics)
            {
                int now = snapshot.PartitionCounts.TryGetValue(topic, out int n) && n > 0 ? n : 0;
                int then = _assignedWith.GetValueOrDefault(topic);
                if (now != then)
                {
                    RequestRejoin($"topic {topic} has {now} partitions where the assignment had {then}");
                    break;
                }
            }
        }
    }

    private void ResolvePattern(TopicsSnapshot snapshot)
    {
        var matched = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string topic in snapshot.PartitionCounts.Keys)
        {
            if (_settings.ExcludeInternalTopics && snapshot.Internal.Contains(topic)) continue;
            try
            {
                if (_pattern!.IsMatch(topic)) matched.Add(topic);
            }
            catch (RegexMatchTimeoutException)
            {
                // A pathological pattern: the topic is not matched rather than the loop stalled.
            }
        }
        SetSubscription(matched, "the topics matching the subscribed pattern changed");
    }

    private void SetSubscription(SortedSet<string> topics, string reason)
    {
        _subscription = topics;
        _subscriptionResolved = true;
        if (State is MembershipState.Stable or MembershipState.CompletingRebalance or MembershipState.PreparingRebalance && !_joinedSubscription.SetEquals(topics))
            RequestRejoin(reason);
    }
}
