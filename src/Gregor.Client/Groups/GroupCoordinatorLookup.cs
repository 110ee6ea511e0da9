using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Groups;

/// <summary>One group's coordinator as a FindCoordinator answer gives it: the node, or the error and its message.</summary>
internal readonly record struct CoordinatorAnswer(WireErrorCode Error, CoordinatorNode? Node, string? Message);

/// <summary>
/// FindCoordinator for consumer groups (key type 0), written and read in this one place for the consumer's
/// committed offsets, the group membership and the admin client. Up to v3 the request carries one key and the
/// answer sits at the top level; from v4 keys and answers come in lists.
/// </summary>
internal static class GroupCoordinatorLookup
{
    public const sbyte GroupKeyType = 0;

    /// <summary>The first version that takes several keys in one request.</summary>
    public const short FirstBatchedVersion = 4;

    /// <summary>A request for one group that is right at every version: the codec writes whichever form the version has.</summary>
    public static FindCoordinatorRequest ForGroup(string group) => new() { Key = group, KeyType = GroupKeyType, CoordinatorKeys = [group] };

    /// <summary>A request for several groups at once (v4 and later only).</summary>
    public static FindCoordinatorRequest ForGroups(IEnumerable<string> groups) => new() { KeyType = GroupKeyType, CoordinatorKeys = [.. groups] };

    /// <summary>The answer for <paramref name="group"/>; an answer that leaves the group out counts as COORDINATOR_NOT_AVAILABLE.</summary>
    public static CoordinatorAnswer Read(FindCoordinatorResponse response, string group)
    {
        ArgumentNullException.ThrowIfNull(response);
        if (response.Coordinators.Count > 0)
        {
            var c = response.Coordinators.FirstOrDefault(c => c.Key == group);
            return c is null
                ? new CoordinatorAnswer(WireErrorCode.CoordinatorNotAvailable, null, $"FindCoordinator's answer left group '{group}' out")
                : Answer((WireErrorCode)c.ErrorCode, c.ErrorMessage, c.NodeId, c.Host, c.Port);
        }
        return Answer((WireErrorCode)response.ErrorCode, response.ErrorMessage, response.NodeId, response.Host, response.Port);
    }

    private static CoordinatorAnswer Answer(WireErrorCode error, string? message, int nodeId, string host, int port)
    {
        if (error != WireErrorCode.None) return new CoordinatorAnswer(error, null, message);
        if (string.IsNullOrEmpty(host) || port <= 0)
            return new CoordinatorAnswer(WireErrorCode.CoordinatorNotAvailable, null, "FindCoordinator answered without an address");
        return new CoordinatorAnswer(WireErrorCode.None, new CoordinatorNode(nodeId, host, port), null);
    }
}
