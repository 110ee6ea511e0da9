using Gregor.Broker.Configuration;

namespace Gregor.Broker.Hosting;

/// <summary>
/// What this build runs: one node that is the broker and the whole metadata quorum, or a controller-only node of a
/// quorum of static voters (<see cref="IsControllerQuorumMember"/>). A configuration for anything else (a broker-only
/// node, a combined node among several voters, a dynamic quorum found through bootstrap servers) is refused at start
/// with the reason, rather than run as something it does not describe.
/// </summary>
public static class SingleNodeRuntime
{
    public const string NotYetRunnable = "brokers in a multi-node cluster are not yet runnable in this build (it runs one node that is broker and sole controller, or controller-only members of a quorum)";

    /// <summary>A controller-only node with a static voter set: runs the metadata quorum and nothing else.</summary>
    public static bool IsControllerQuorumMember(BrokerConfig config) =>
        config.Quorum.Roles == ProcessRoles.Controller && config.Quorum.Voters.Count > 0;

    /// <summary>Null when this build can run <paramref name="config"/>, else why not.</summary>
    public static string? WhyNotRunnable(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (IsControllerQuorumMember(config)) return null;
        QuorumSettings quorum = config.Quorum;
        if (quorum.Roles != ProcessRoles.BrokerAndController)
            return $"{BrokerSettings.ProcessRoles}={quorum.RolesText} needs controllers on other nodes";
        if (quorum.Voters.Count > 1)
            return $"{BrokerSettings.ControllerQuorumVoters} names {quorum.Voters.Count} voters";
        if (quorum.Voters.Count == 0 && quorum.BootstrapServers.Count > 0)
            return $"{BrokerSettings.ControllerQuorumBootstrapServers} asks for a dynamic quorum";
        return null;
    }

    /// <exception cref="BrokerConfigException">This build cannot run the configuration.</exception>
    public static void EnsureRunnable(BrokerConfig config)
    {
        if (WhyNotRunnable(config) is { } why)
            throw new BrokerConfigException($"Cannot start: {why}; {NotYetRunnable}.");
    }
}
