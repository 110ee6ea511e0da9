using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Admin;

// Consumer groups: listed by every broker, described and deleted by each group's coordinator.
internal sealed partial class AdminClient
{
    private const string ConsumerProtocolType = "consumer";
    private const short FirstStatesFilterVersion = 4;

    /// <summary>Runs a group operation within its deadline (the request timeout), machinery failures as <see cref="KafkaException"/>.</summary>
    private async Task<T> GroupOperationAsync<T>(AdminOptions? options, Func<CancellationToken, Task<T>> run)
    {
        var timeout = options?.RequestTimeout ?? _settings.RequestTimeout;
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            return await run(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (AsKafkaException(e, deadline, timeout) is { } translated)
        {
            throw translated;
        }
    }

    private static List<string> GroupIds(IEnumerable<string> groups, string parameter)
    {
        ArgumentNullException.ThrowIfNull(groups, parameter);
        var list = new List<string>();
        foreach (string group in groups)
        {
            if (string.IsNullOrEmpty(group)) throw new ArgumentException("a group id is empty", parameter);
            if (!list.Contains(group, StringComparer.Ordinal)) list.Add(group);
        }
        return list;
    }

    /// <summary>Routing errors are retried by the router; any other code is the group's outcome.</summary>
    private static WireErrorCode Routing(short code) =>
        (WireErrorCode)code is WireErrorCode.NotCoordinator or WireErrorCode.CoordinatorNotAvailable or WireErrorCode.CoordinatorLoadInProgress
            ? (WireErrorCode)code : WireErrorCode.None;

    /// <summary>A state as the coordinator names it (any case); a name this client does not know is Unknown.</summary>
    internal static ConsumerGroupState ParseState(string? state) => state?.ToUpperInvariant() switch
    {
        "PREPARINGREBALANCE" => ConsumerGroupState.PreparingRebalance,
        "COMPLETINGREBALANCE" => ConsumerGroupState.CompletingRebalance,
        "STABLE" => ConsumerGroupState.Stable,
        "DEAD" => ConsumerGroupState.Dead,
        "EMPTY" => ConsumerGroupState.Empty,
        _ => ConsumerGroupState.Unknown,
    };

    public Task<ListConsumerGroupsResult> ListConsumerGroupsAsync(ListConsumerGroupsOptions? options = null) =>
        GroupOperationAsync(options, async deadline =>
        {
            var states = options?.MatchStates?.Distinct().ToList() ?? [];
            if (states.Contains(ConsumerGroupState.Unknown)) throw new ArgumentException("Unknown is not a state a group can be asked for", nameof(options));
            var cluster = await _metadata.FetchAsync([], false, deadline).ConfigureAwait(false);
            var report = new ListConsumerGroupsReport();
            // Each broker lists only the groups it coordinates, so every broker is asked.
            foreach (var (id, endpoint) in cluster.Brokers.OrderBy(b => b.Key))
            {
                var (groups, error) = await ListGroupsOnAsync(id, endpoint, states, deadline).ConfigureAwait(false);
                report.Valid.AddRange(groups);
                if (error is not null) report.Errors.Add(error);
            }
            report.Valid.Sort((a, b) => string.CompareOrdinal(a.GroupId, b.GroupId));
            if (report.Errors.Count > 0) throw new ListConsumerGroupsException(report);
            return new ListConsumerGroupsResult { Valid = report.Valid };
        });

    /// <summary>One broker's consumer groups (protocol type "consumer" or none, as Kafka's admin client lists them).</summary>
    private async Task<(List<ConsumerGroupListing> Groups, Error? Error)> ListGroupsOnAsync(int broker, BrokerEndpoint endpoint,
        List<ConsumerGroupState> states, CancellationToken deadline)
    {
        while (true)
        {
            ListGroupsResponse response;
            try
            {
                var connection = await _pool.GetAsync(endpoint, deadline).ConfigureAwait(false);
                short version = connection.Versions.Highest(ApiKey.ListGroups);
                if (states.Count > 0 && version < FirstStatesFilterVersion)
                    return ([], new Error(ErrorCode.Local_UnsupportedFeature, $"broker {broker} cannot filter groups by state (needs ListGroups v4)"));
                var request = new ListGroupsRequest { StatesFilter = [.. states.Select(s => s.ToString())] };
                response = await connection.SendAsync<ListGroupsRequest, ListGroupsResponse>(request, version, deadline).ConfigureAwait(false);
            }
            catch (BrokerConnectionException e)
            {
                return ([], new Error(ErrorCode.Local_Transport, $"broker {broker}: {e.Message}"));
            }
            var error = (WireErrorCode)response.ErrorCode;
            if (error == WireErrorCode.CoordinatorLoadInProgress)
            {
                await Task.Delay(_retryBackoff, _settings.Clock, deadline).ConfigureAwait(false);
                continue;
            }
            if (error != WireErrorCode.None)
                return ([], new Error(error.ToClientErrorCode(), $"broker {broker}: {error.KafkaName()}"));
            var listed = response.Groups
                .Where(g => g.ProtocolType is ConsumerProtocolType or "")
                .Select(g => new ConsumerGroupListing { GroupId = g.GroupId, IsSimpleConsumerGroup = g.ProtocolType.Length == 0, State = ParseState(g.GroupState) })
                .Where(g => states.Count == 0 || states.Contains(g.State))
                .ToList();
            return (listed, null);
        }
    }

    public Task<DescribeConsumerGroupsResult> DescribeConsumerGroupsAsync(IEnumerable<string> groups, DescribeConsumerGroupsOptions? options = null)
    {
        var ids = GroupIds(groups, nameof(groups));
        return GroupOperationAsync(options, async deadline =>
        {
            var described = await _coordinators.RunAsync(ids, deadline, async (coordinator, asked, ct) =>
            {
                short version = coordinator.Connection.Versions.Highest(ApiKey.DescribeGroups);
                var response = await coordinator.Connection.SendAsync<DescribeGroupsRequest, DescribeGroupsResponse>(
                    new DescribeGroupsRequest { Groups = [.. asked] }, version, ct).ConfigureAwait(false);
                return response.Groups.Select(g => new GroupAnswer<ConsumerGroupDescription>(g.GroupId, Routing(g.ErrorCode), Describe(g, coordinator.Node))).ToList();
            }, (group, error) => new ConsumerGroupDescription { GroupId = group, Error = error }).ConfigureAwait(false);
            var descriptions = ids.Select(id => described[id]).ToList();
            if (descriptions.Any(d => d.Error.IsError))
                throw new DescribeConsumerGroupsException(new DescribeConsumerGroupsReport { ConsumerGroupDescriptions = descriptions });
            return new DescribeConsumerGroupsResult { ConsumerGroupDescriptions = descriptions };
        });
    }

    private static ConsumerGroupDescription Describe(DescribeGroupsResponse.DescribedGroup g, Node coordinator)
    {
        var description = new ConsumerGroupDescription { GroupId = g.GroupId, Coordinator = coordinator };
        if (g.ErrorCode != 0)
        {
            description.Error = ToError(g.ErrorCode, null);
            return description;
        }
        description.State = ParseState(g.GroupState);
        description.IsSimpleConsumerGroup = g.ProtocolType.Length == 0;
        description.PartitionAssignor = g.ProtocolData;
        foreach (var m in g.Members)
        {
            var member = new MemberDescription { ConsumerId = m.MemberId, GroupInstanceId = m.GroupInstanceId, ClientId = m.ClientId, Host = m.ClientHost };
            if (g.ProtocolType == ConsumerProtocolType)
            {
                try
                {
                    member.Assignment.TopicPartitions = ConsumerAssignmentReader.Read(m.MemberAssignment);
                }
                catch (MalformedMessageException e)
                {
                    description.Error = new Error(ErrorCode.Local_BadMsg, $"group {g.GroupId}: member {m.MemberId}'s assignment is not a consumer assignment: {e.Message}");
                }
            }
            description.Members.Add(member);
        }
        return description;
    }

    public Task DeleteGroupsAsync(IList<string> groups, DeleteGroupsOptions? options = null)
    {
        var ids = GroupIds(groups, nameof(groups));
        return GroupOperationAsync(options, async deadline =>
        {
            var deleted = await _coordinators.RunAsync(ids, deadline, async (coordinator, asked, ct) =>
            {
                short version = coordinator.Connection.Versions.Highest(ApiKey.DeleteGroups);
                var response = await coordinator.Connection.SendAsync<DeleteGroupsRequest, DeleteGroupsResponse>(
                    new DeleteGroupsRequest { GroupsNames = [.. asked] }, version, ct).ConfigureAwait(false);
                return response.Results.Select(r => new GroupAnswer<DeleteGroupReport>(r.GroupId, Routing(r.ErrorCode),
                    new DeleteGroupReport { Group = r.GroupId, Error = ToError(r.ErrorCode, null) })).ToList();
            }, (group, error) => new DeleteGroupReport { Group = group, Error = error }).ConfigureAwait(false);
            var reports = ids.Select(id => deleted[id]).ToList();
            if (reports.Any(r => r.Error.IsError)) throw new DeleteGroupsException(reports);
            return true;
        });
    }
}
