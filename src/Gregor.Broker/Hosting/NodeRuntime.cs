using Gregor.Broker.Configuration;

namespace Gregor.Broker.Hosting;

/// <summary>
/// What a configuration runs as: one node that is the broker and the whole metadata quorum (the default), a
/// controller-only member of a quorum of static voters (<see cref="IsControllerQuorumMember"/>), or a broker of a
/// cluster — broker-only, or broker and controller among several voters (<see cref="IsClusterBroker"/>). A dynamic
/// quorum found only through <c>controller.quorum.bootstrap.servers</c> is refused at start with the reason, rather
/// than run as something it does not describe.
/// </summary>
public static class NodeRuntime
{
    public const string NotRunnable = "this build runs a quorum of static voters (controller.quorum.voters), not a dynamic quorum";

    /// <summary>A controller-only node with a static voter set: runs the metadata quorum and nothing else.</summary>
    public static bool IsControllerQuorumMember(BrokerConfig config) =>
        config.Quorum.Roles == ProcessRoles.Controller && config.Quorum.Voters.Count > 0;

    /// <summary>
    /// A broker whose metadata comes from a quorum of static voters on other nodes too: a broker-only node (an
    /// observer of the quorum) or a combined node among several voters. A combined node that is the sole voter is
    /// the single node instead.
    /// </summary>
    public static bool IsClusterBroker(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        QuorumSettings quorum = config.Quorum;
        return quorum.IsBroker && (quorum.Voters.Count > 1 || (quorum.Voters.Count == 1 && !quorum.IsController));
    }

    /// <summary>Null when this build can run <paramref name="config"/>, else why not.</summary>
    public static string? WhyNotRunnable(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        QuorumSettings quorum = config.Quorum;
        if (quorum.Voters.Count == 0 && quorum.BootstrapServers.Count > 0)
            return $"{BrokerSettings.ControllerQuorumBootstrapServers} without {BrokerSettings.ControllerQuorumVoters} asks for a dynamic quorum";
        if (quorum.Roles != ProcessRoles.BrokerAndController && quorum.Voters.Count == 0)
            return $"{BrokerSettings.ProcessRoles}={quorum.RolesText} needs {BrokerSettings.ControllerQuorumVoters}";
        return null;
    }

    /// <exception cref="BrokerConfigException">This build cannot run the configuration.</exception>
    public static void EnsureRunnable(BrokerConfig config)
    {
        if (WhyNotRunnable(config) is { } why)
            throw new BrokerConfigException($"Cannot start: {why}; {NotRunnable}.");
    }
}
