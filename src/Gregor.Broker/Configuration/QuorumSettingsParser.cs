namespace Gregor.Broker.Configuration;

/// <summary>
/// Reads the KRaft quorum settings and checks them against each other, <c>node.id</c> and the listeners, with
/// Kafka's rules: a controller is among the voters (when voters are listed) and a broker-only node is not; a node
/// that is not both roles needs voters or bootstrap servers to find the quorum; a controller serves on every
/// listener <c>controller.listener.names</c> names; a broker-only node names the controllers' listener but does
/// not listen on it; a controller-only node listens on controller listeners only; a broker keeps at least one
/// listener for clients (controller listeners are never advertised to them).
/// </summary>
internal static class QuorumSettingsParser
{
    private static readonly string[] SecuredProtocols = ["SSL", "SASL_PLAINTEXT", "SASL_SSL"];

    public static QuorumSettings Parse(IReadOnlyDictionary<string, string> given, int nodeId,
        IReadOnlyList<ListenerEndpoint> listeners, IReadOnlyList<ListenerEndpoint>? advertised)
    {
        var quorum = new QuorumSettings();
        if (given.TryGetValue(BrokerSettings.ProcessRoles, out string? roles))
            quorum = quorum with { Roles = Roles(roles) };
        if (given.TryGetValue(BrokerSettings.ControllerQuorumVoters, out string? voters))
            quorum = quorum with { Voters = QuorumEndpointParser.Voters(voters) };
        if (given.TryGetValue(BrokerSettings.ControllerQuorumBootstrapServers, out string? bootstrap))
            quorum = quorum with { BootstrapServers = QuorumEndpointParser.BootstrapServers(bootstrap) };
        if (given.TryGetValue(BrokerSettings.ControllerListenerNames, out string? names))
            quorum = quorum with { ControllerListenerNames = ListenerNames(names) };
        quorum = quorum with
        {
            ElectionTimeoutMs = Int(given, BrokerSettings.ControllerQuorumElectionTimeoutMs) ?? quorum.ElectionTimeoutMs,
            FetchTimeoutMs = Int(given, BrokerSettings.ControllerQuorumFetchTimeoutMs) ?? quorum.FetchTimeoutMs,
            ElectionBackoffMaxMs = Int(given, BrokerSettings.ControllerQuorumElectionBackoffMaxMs) ?? quorum.ElectionBackoffMaxMs,
        };
        CheckVoters(quorum, nodeId, given);
        CheckControllerListeners(quorum, listeners, given);
        CheckBrokerListeners(quorum, advertised ?? listeners);
        return quorum;
    }

    // Kafka leaves these unchecked; a timeout of 0 or less would make elections spin.
    private static int? Int(IReadOnlyDictionary<string, string> given, string name) =>
        given.TryGetValue(name, out string? value) ? SettingValue.Int(name, value, 1) : null;

    private static ProcessRoles Roles(string value)
    {
        const string setting = BrokerSettings.ProcessRoles;
        var roles = ProcessRoles.None;
        foreach (string role in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            ProcessRoles one = role switch
            {
                "broker" => ProcessRoles.Broker,
                "controller" => ProcessRoles.Controller,
                _ => throw BrokerConfigException.InvalidValue(setting, value, $"unknown role '{role}' (the roles are broker and controller)"),
            };
            if ((roles & one) != 0)
                throw BrokerConfigException.InvalidValue(setting, value, $"role {role} appears twice");
            roles |= one;
        }
        if (roles == ProcessRoles.None)
            throw BrokerConfigException.InvalidValue(setting, value, "expected broker, controller or broker,controller");
        return roles;
    }

    private static List<string> ListenerNames(string value)
    {
        const string setting = BrokerSettings.ControllerListenerNames;
        var names = new List<string>();
        foreach (string entry in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string name = entry.ToUpperInvariant();
            if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw BrokerConfigException.InvalidValue(setting, value, $"listener name '{entry}' may hold only letters, digits and _");
            if (Array.IndexOf(SecuredProtocols, name) >= 0)
                throw BrokerConfigException.InvalidValue(setting, value, $"{name} listeners are not supported (plaintext only)");
            if (names.Contains(name))
                throw BrokerConfigException.InvalidValue(setting, value, $"listener name {name} appears twice");
            names.Add(name);
        }
        return names;
    }

    private static void CheckVoters(QuorumSettings quorum, int nodeId, IReadOnlyDictionary<string, string> given)
    {
        const string voters = BrokerSettings.ControllerQuorumVoters;
        string rolesText = $"{BrokerSettings.ProcessRoles}={quorum.RolesText}";
        if (quorum.Roles != ProcessRoles.BrokerAndController && quorum.Voters.Count == 0 && quorum.BootstrapServers.Count == 0)
            throw new BrokerConfigException(
                $"Setting '{voters}' or '{BrokerSettings.ControllerQuorumBootstrapServers}' is needed with {rolesText}: " +
                "the node must know where the controller quorum is.");
        bool listed = quorum.Voters.Any(v => v.Id == nodeId);
        if (quorum.IsController && quorum.Voters.Count > 0 && !listed)
            throw BrokerConfigException.InvalidValue(voters, given[voters],
                $"this node ({BrokerSettings.NodeId} {nodeId}) has the controller role ({rolesText}), so it must be one of the voters");
        if (!quorum.IsController && listed)
            throw BrokerConfigException.InvalidValue(voters, given[voters],
                $"this node ({BrokerSettings.NodeId} {nodeId}) is a broker only ({rolesText}), so it must not be one of the voters");
    }

    private static void CheckControllerListeners(QuorumSettings quorum, IReadOnlyList<ListenerEndpoint> listeners, IReadOnlyDictionary<string, string> given)
    {
        const string setting = BrokerSettings.ControllerListenerNames;
        string names = given.GetValueOrDefault(setting, "");
        string rolesText = $"{BrokerSettings.ProcessRoles}={quorum.RolesText}";
        if (quorum.IsController)
        {
            // Gregor's single node by itself needs no controller listener; a quorum others reach does.
            if (quorum.ControllerListenerNames.Count == 0 && !quorum.IsImplicitSingleNode)
                throw BrokerConfigException.InvalidValue(setting, names,
                    $"a controller ({rolesText}) in a quorum given by {BrokerSettings.ControllerQuorumVoters} or {BrokerSettings.ControllerQuorumBootstrapServers} needs the name of its listener in '{BrokerSettings.Listeners}'");
            foreach (string name in quorum.ControllerListenerNames)
                if (!listeners.Any(l => l.Name == name))
                    throw BrokerConfigException.InvalidValue(setting, names, $"there is no listener {name} in '{BrokerSettings.Listeners}', and a controller ({rolesText}) listens on each");
            if (!quorum.IsBroker)
                foreach (var listener in listeners)
                    if (!quorum.IsControllerListener(listener.Name))
                        throw BrokerConfigException.InvalidValue(BrokerSettings.Listeners, given.GetValueOrDefault(BrokerSettings.Listeners, ""),
                            $"listener {listener.Name} is not in '{setting}'; with {rolesText} every listener is a controller listener");
        }
        else
        {
            if (quorum.ControllerListenerNames.Count == 0)
                throw BrokerConfigException.InvalidValue(setting, names, $"a broker-only node ({rolesText}) needs the name of the listener controllers serve on");
            foreach (string name in quorum.ControllerListenerNames)
                if (listeners.Any(l => l.Name == name))
                    throw BrokerConfigException.InvalidValue(setting, names, $"listener {name} is in '{BrokerSettings.Listeners}', but a broker-only node ({rolesText}) does not serve controllers");
        }
    }

    private static void CheckBrokerListeners(QuorumSettings quorum, IReadOnlyList<ListenerEndpoint> advertised)
    {
        if (quorum.IsBroker && advertised.All(l => quorum.IsControllerListener(l.Name)))
            throw BrokerConfigException.InvalidValue(BrokerSettings.ControllerListenerNames, string.Join(",", quorum.ControllerListenerNames),
                $"every advertised listener is a controller listener, and clients need one that is not");
    }
}
