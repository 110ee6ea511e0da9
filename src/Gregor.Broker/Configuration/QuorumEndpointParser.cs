using System.Globalization;

namespace Gregor.Broker.Configuration;

/// <summary>
/// Parses <c>controller.quorum.voters</c> (<c>id@host:port,...</c>) and <c>controller.quorum.bootstrap.servers</c>
/// (<c>host:port,...</c>). A host is a name or an address, IPv6 in brackets; 0.0.0.0 is refused, as no node can be
/// reached there. Voter ids must be unique: two entries for one id would leave which address counts unclear.
/// </summary>
internal static class QuorumEndpointParser
{
    public static IReadOnlyList<QuorumVoter> Voters(string value)
    {
        const string setting = BrokerSettings.ControllerQuorumVoters;
        var voters = new List<QuorumVoter>();
        foreach (string entry in Entries(value))
        {
            int at = entry.IndexOf('@', StringComparison.Ordinal);
            if (at <= 0 || entry.IndexOf('@', at + 1) >= 0)
                throw BrokerConfigException.InvalidValue(setting, value, $"'{entry}' is not id@host:port");
            string idText = entry[..at];
            if (!int.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                throw BrokerConfigException.InvalidValue(setting, value, $"voter id '{idText}' is not a node id (0 or more)");
            (string host, int port) = HostAndPort(setting, value, entry, entry[(at + 1)..]);
            if (voters.Exists(v => v.Id == id))
                throw BrokerConfigException.InvalidValue(setting, value, $"voter id {id} appears twice");
            voters.Add(new QuorumVoter(id, host, port));
        }
        return voters;
    }

    public static IReadOnlyList<QuorumBootstrapServer> BootstrapServers(string value)
    {
        const string setting = BrokerSettings.ControllerQuorumBootstrapServers;
        var servers = new List<QuorumBootstrapServer>();
        foreach (string entry in Entries(value))
        {
            (string host, int port) = HostAndPort(setting, value, entry, entry);
            servers.Add(new QuorumBootstrapServer(host, port));
        }
        return servers;
    }

    private static string[] Entries(string value) =>
        value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);

    private static (string Host, int Port) HostAndPort(string setting, string value, string entry, string hostPort)
    {
        int colon = hostPort.LastIndexOf(':');
        if (colon <= 0)
            throw BrokerConfigException.InvalidValue(setting, value, $"'{entry}' has no host:port");
        string host = hostPort[..colon];
        string portText = hostPort[(colon + 1)..];
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        else if (host.Contains(':'))
            throw BrokerConfigException.InvalidValue(setting, value, $"'{entry}': write an IPv6 address in brackets");
        if (host.Length == 0 || !host.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '%' or ':'))
            throw BrokerConfigException.InvalidValue(setting, value, $"'{entry}' has no valid host");
        if (host == "0.0.0.0")
            throw BrokerConfigException.InvalidValue(setting, value, $"'{entry}': 0.0.0.0 is not an address a node can be reached at");
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
            throw BrokerConfigException.InvalidValue(setting, value, $"'{portText}' in '{entry}' is not a port between 1 and 65535");
        return (host, port);
    }
}
