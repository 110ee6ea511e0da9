namespace Gregor.Broker.Configuration;

/// <summary>
/// The node's place in the KRaft metadata quorum, under Kafka's names and with Kafka's defaults: its roles, the
/// voters (a static quorum) or the controllers to bootstrap from (a dynamic one), the listeners controllers
/// use, and the Raft timeouts. Parsed and checked against <c>node.id</c> and <c>listeners</c> by
/// <c>QuorumSettingsParser</c>.
/// </summary>
public sealed record QuorumSettings
{
    /// <summary><c>process.roles</c>. Kafka requires it; Gregor defaults to both roles in one process.</summary>
    public ProcessRoles Roles { get; init; } = ProcessRoles.BrokerAndController;

    /// <summary><c>controller.quorum.voters</c>: the static voter set, ids unique (default none).</summary>
    public IReadOnlyList<QuorumVoter> Voters { get; init; } = [];

    /// <summary><c>controller.quorum.bootstrap.servers</c>: controllers to ask for a dynamic quorum (default none).</summary>
    public IReadOnlyList<QuorumBootstrapServer> BootstrapServers { get; init; } = [];

    /// <summary><c>controller.listener.names</c>: names of listeners that serve controllers, upper-cased as listener names are (default none).</summary>
    public IReadOnlyList<string> ControllerListenerNames { get; init; } = [];

    /// <summary><c>controller.quorum.election.timeout.ms</c>: how long without a leader before a voter stands for election.</summary>
    public int ElectionTimeoutMs { get; init; } = 1000;

    /// <summary><c>controller.quorum.fetch.timeout.ms</c>: how long without a successful fetch from the leader before a voter stands for election (and a leader without a majority's fetches resigns).</summary>
    public int FetchTimeoutMs { get; init; } = 2000;

    /// <summary><c>controller.quorum.election.backoff.max.ms</c>: the most a candidate waits before the next election (exponential backoff).</summary>
    public int ElectionBackoffMaxMs { get; init; } = 1000;

    public bool IsBroker => (Roles & ProcessRoles.Broker) != 0;

    public bool IsController => (Roles & ProcessRoles.Controller) != 0;

    /// <summary>
    /// Gregor's default: both roles and neither voters nor bootstrap servers, so the node is the whole quorum
    /// by itself and needs no controller listener (Kafka has no such default; it requires one of the two).
    /// </summary>
    public bool IsImplicitSingleNode => Roles == ProcessRoles.BrokerAndController && Voters.Count == 0 && BootstrapServers.Count == 0;

    public bool IsControllerListener(string listenerName) => ControllerListenerNames.Contains(listenerName, StringComparer.Ordinal);

    /// <summary><c>process.roles</c> as Kafka writes it.</summary>
    public string RolesText => Roles switch
    {
        ProcessRoles.Broker => "broker",
        ProcessRoles.Controller => "controller",
        _ => "broker,controller",
    };
}
