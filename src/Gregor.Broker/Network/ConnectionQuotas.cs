using System.Net;
using Gregor.Broker.Configuration;

namespace Gregor.Broker.Network;

/// <summary>
/// <c>max.connections</c>, <c>listener.name.X.max.connections</c>, <c>max.connections.per.ip</c> and its
/// overrides: counts open connections and refuses one over any limit. Kafka closes a connection over the
/// per-address limit at once and makes one over the broker or listener limit wait in the accept queue; Gregor
/// closes both at once (Kestrel accepts on its own, and a held socket costs a descriptor and memory), and
/// the client retries after its reconnect back-off.
/// </summary>
internal sealed class ConnectionQuotas
{
    private readonly Lock _gate = new();
    private readonly Dictionary<IPAddress, int> _byAddress = [];
    private readonly Dictionary<string, int> _byListener = new(StringComparer.Ordinal);
    private readonly Dictionary<IPAddress, int> _perAddressOverrides = [];
    private readonly BrokerConfig _config;
    private int _total;

    public ConnectionQuotas(BrokerConfig config)
    {
        _config = config;
        foreach ((string host, int count) in config.MaxConnectionsPerIpOverrides)
            foreach (IPAddress address in Resolve(host))
                _perAddressOverrides[Normalize(address)] = count;
    }

    public int Count
    {
        get { lock (_gate) return _total; }
    }

    /// <summary>Counts a new connection, or says which limit it is over (and counts nothing).</summary>
    public string? TryAdmit(string listener, IPAddress? peer)
    {
        IPAddress address = Normalize(peer ?? IPAddress.None);
        lock (_gate)
        {
            if (_total >= _config.MaxConnections)
                return $"the broker has max.connections ({_config.MaxConnections}) open";
            int listenerMax = _config.ListenerLimits.GetValueOrDefault(listener)?.MaxConnections ?? int.MaxValue;
            int onListener = _byListener.GetValueOrDefault(listener);
            if (onListener >= listenerMax)
                return $"listener {listener} has listener.name.{listener.ToLowerInvariant()}.max.connections ({listenerMax}) open";
            int perAddress = _perAddressOverrides.TryGetValue(address, out int limit) ? limit : _config.MaxConnectionsPerIp;
            int fromAddress = _byAddress.GetValueOrDefault(address);
            if (fromAddress >= perAddress)
                return $"{address} already has max.connections.per.ip ({perAddress}) open";
            _total++;
            _byListener[listener] = onListener + 1;
            _byAddress[address] = fromAddress + 1;
            return null;
        }
    }

    public void Release(string listener, IPAddress? peer)
    {
        IPAddress address = Normalize(peer ?? IPAddress.None);
        lock (_gate)
        {
            _total--;
            _byListener[listener]--;
            if (--_byAddress[address] == 0) _byAddress.Remove(address);
        }
    }

    /// <summary>An IPv4 client of a dual-stack listener arrives as an IPv4-mapped IPv6 address; it is the same client.</summary>
    private static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private static IPAddress[] Resolve(string host)
    {
        if (IPAddress.TryParse(host.Trim('[', ']'), out var address)) return [address];
        try
        {
            return Dns.GetHostAddresses(host);
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new BrokerConfigException($"Invalid value for setting '{BrokerSettings.MaxConnectionsPerIpOverrides}': cannot resolve host '{host}': {e.Message}.", e);
        }
    }
}
