using Gregor.Client.Groups;
using Gregor.Client.Metadata;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Admin;

/// <summary>A group's coordinator: the broker and the connection to it.</summary>
internal sealed record GroupCoordinatorConnection(Node Node, BrokerConnection Connection);

/// <summary>
/// One group's part of a coordinator's answer: the error that says whether the request reached the
/// right coordinator (NOT_COORDINATOR and friends, or none), and the group's outcome.
/// </summary>
internal readonly record struct GroupAnswer<T>(string Group, WireErrorCode RoutingError, T Result);

/// <summary>
/// Sends group requests to each group's coordinator. Coordinators are found with FindCoordinator,
/// a batch of keys in one request from v4, one key per request before. A coordinator that has moved
/// or is unavailable (NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE, a dropped connection) is looked up
/// again; one still loading its groups (COORDINATOR_LOAD_IN_PROGRESS) is asked again. Either after
/// retry.backoff.ms, until the operation's deadline; then the last error is the group's outcome.
/// </summary>
internal sealed class GroupCoordinatorRouter(MetadataManager metadata, ConnectionPool pool, TimeSpan retryBackoff)
{
    /// <summary>
    /// Runs <paramref name="exchange"/> against each coordinator with the groups it coordinates,
    /// until every group has an outcome; <paramref name="failed"/> makes the outcome of a group that got none.
    /// </summary>
    public async Task<Dictionary<string, T>> RunAsync<T>(IReadOnlyCollection<string> groups, CancellationToken deadline,
        Func<GroupCoordinatorConnection, IReadOnlyList<string>, CancellationToken, Task<IReadOnlyList<GroupAnswer<T>>>> exchange,
        Func<string, Error, T> failed)
    {
        var results = new Dictionary<string, T>(StringComparer.Ordinal);
        var pending = new HashSet<string>(groups, StringComparer.Ordinal);
        var coordinators = new Dictionary<string, Node>(StringComparer.Ordinal);
        var lastError = new Dictionary<string, Error>(StringComparer.Ordinal);
        try
        {
            while (true)
            {
                var unknown = pending.Where(g => !coordinators.ContainsKey(g)).ToList();
                if (unknown.Count > 0)
                {
                    foreach (var (group, node, error) in await FindAsync(unknown, deadline).ConfigureAwait(false))
                    {
                        if (node is not null) coordinators[group] = node;
                        else if (IsRoutingError(error.Code)) lastError[group] = error;
                        else Settle(group, failed(group, error));
                    }
                }
                foreach (var byNode in pending.Where(coordinators.ContainsKey).GroupBy(g => coordinators[g].Id).ToList())
                {
                    var node = coordinators[byNode.First()];
                    var asked = byNode.ToList();
                    IReadOnlyList<GroupAnswer<T>> answers;
                    try
                    {
                        var connection = await pool.GetAsync(new BrokerEndpoint(node.Host, node.Port), deadline).ConfigureAwait(false);
                        answers = await exchange(new GroupCoordinatorConnection(node, connection), asked, deadline).ConfigureAwait(false);
                    }
                    catch (BrokerConnectionException e)
                    {
                        foreach (string group in asked)
                        {
                            coordinators.Remove(group);
                            lastError[group] = new Error(ErrorCode.Local_Transport, $"coordinator {node}: {e.Message}");
                        }
                        continue;
                    }
                    foreach (var answer in answers)
                    {
                        if (!pending.Contains(answer.Group)) continue;
                        if (answer.RoutingError is WireErrorCode.NotCoordinator or WireErrorCode.CoordinatorNotAvailable)
                            coordinators.Remove(answer.Group);
                        if (IsRoutingError(answer.RoutingError)) lastError[answer.Group] = Broker(answer.RoutingError);
                        else Settle(answer.Group, answer.Result);
                    }
                    foreach (string group in asked.Where(pending.Contains).Where(g => !answers.Any(a => a.Group == g)))
                        Settle(group, failed(group, new Error(ErrorCode.Local_BadMsg, $"coordinator {node} did not answer for group {group}")));
                }
                if (pending.Count == 0) return results;
                await Task.Delay(retryBackoff, pool.Settings.Clock, deadline).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            foreach (string group in pending.ToList())
                Settle(group, failed(group, lastError.GetValueOrDefault(group) ?? new Error(ErrorCode.Local_TimedOut, $"group {group}: no answer in time")));
            return results;
        }

        void Settle(string group, T result)
        {
            results[group] = result;
            pending.Remove(group);
        }
    }

    private static bool IsRoutingError(WireErrorCode code) =>
        code is WireErrorCode.NotCoordinator or WireErrorCode.CoordinatorNotAvailable or WireErrorCode.CoordinatorLoadInProgress;

    private static bool IsRoutingError(ErrorCode code) => code.ToWireErrorCode() is { } wire && IsRoutingError(wire);

    private static Error Broker(WireErrorCode code, string? message = null) => new(code.ToClientErrorCode(), message ?? code.KafkaName());

    /// <summary>Each group's coordinator, or the error FindCoordinator gave for it.</summary>
    private async Task<List<(string Group, Node? Node, Error Error)>> FindAsync(IReadOnlyList<string> groups, CancellationToken cancellationToken)
    {
        var connection = await metadata.AnyConnectionAsync(cancellationToken).ConfigureAwait(false);
        short version = connection.Versions.Highest(ApiKey.FindCoordinator);
        var found = new List<(string, Node?, Error)>(groups.Count);
        if (version >= GroupCoordinatorLookup.FirstBatchedVersion)
        {
            var response = await connection.SendAsync<FindCoordinatorRequest, FindCoordinatorResponse>(
                GroupCoordinatorLookup.ForGroups(groups), version, cancellationToken).ConfigureAwait(false);
            foreach (string group in groups) found.Add(Outcome(group, GroupCoordinatorLookup.Read(response, group)));
            return found;
        }
        foreach (string group in groups)
        {
            var response = await connection.SendAsync<FindCoordinatorRequest, FindCoordinatorResponse>(
                GroupCoordinatorLookup.ForGroup(group), version, cancellationToken).ConfigureAwait(false);
            found.Add(Outcome(group, GroupCoordinatorLookup.Read(response, group)));
        }
        return found;
    }

    private static (string, Node?, Error) Outcome(string group, CoordinatorAnswer answer) =>
        answer.Node is { } node
            ? (group, new Node { Id = node.NodeId, Host = node.Host, Port = node.Port }, new Error(ErrorCode.NoError))
            : (group, null, Broker(answer.Error, answer.Message));
}
