using System.Net;
using Gregor.Broker.Configuration;
using Gregor.Broker.Network;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace Gregor.Broker.Hosting;

/// <summary>
/// Turns each <c>listeners</c> entry into Kestrel endpoints served by <see cref="KafkaConnectionHandler"/>:
/// <c>localhost</c> binds the IPv4 and IPv6 loopback, an empty host or 0.0.0.0 every interface, an
/// address that address, and any other name the addresses it resolves to.
/// </summary>
internal static class ListenerBinding
{
    public static List<(ListenerEndpoint Listener, ListenOptions Options)> Bind(KestrelServerOptions kestrel, IReadOnlyList<ListenerEndpoint> listeners)
    {
        var bound = new List<(ListenerEndpoint, ListenOptions)>();
        foreach (var listener in listeners)
        {
            void Configure(ListenOptions options)
            {
                var services = options.ApplicationServices;
                options.Run(connection => services.GetRequiredService<KafkaConnectionHandler>().OnConnectedAsync(connection, listener.Name));
                bound.Add((listener, options));
            }

            if (listener.Host is "" or "0.0.0.0" or "::")
                kestrel.ListenAnyIP(listener.Port, Configure); // IPv6 dual-stack, IPv4 where there is no IPv6
            else
                foreach (IPAddress address in Addresses(listener))
                    kestrel.Listen(address, listener.Port, Configure);
        }
        return bound;
    }

    private static IEnumerable<IPAddress> Addresses(ListenerEndpoint listener)
    {
        string host = listener.Host;
        if (IPAddress.TryParse(host, out var address)) return [address];
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase))
            // Port 0 asks for any free port; two loopback sockets would get two different ones.
            return listener.Port == 0 || !System.Net.Sockets.Socket.OSSupportsIPv6 ? [IPAddress.Loopback] : [IPAddress.Loopback, IPAddress.IPv6Loopback];
        try
        {
            return Dns.GetHostAddresses(host).Distinct().ToArray();
        }
        catch (System.Net.Sockets.SocketException e)
        {
            throw new BrokerConfigException($"Invalid value '{host}' in setting 'listeners' ({listener.Name}): cannot resolve host: {e.Message}.", e);
        }
    }
}
