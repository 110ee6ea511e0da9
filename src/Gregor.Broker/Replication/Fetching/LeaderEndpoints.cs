using Gregor.Metadata;
using Gregor.Net;

namespace Gregor.Broker.Replication.Fetching;

/// <summary>Where followers reach a leader: its registered inter-broker listener (<c>inter.broker.listener.name</c>), else its first.</summary>
internal static class LeaderEndpoints
{
    public static BrokerEndpoint? Find(MetadataImage image, int brokerId, string? listenerName)
    {
        if (!image.Brokers.TryGetValue(brokerId, out BrokerRegistration? broker))
            return null;
        if (!broker.Listeners.IsDefaultOrEmpty)
        {
            BrokerListener? chosen = listenerName is null ? broker.Listeners[0]
                : broker.Listeners.FirstOrDefault(l => string.Equals(l.Name, listenerName, StringComparison.Ordinal));
            return chosen is null ? null : new BrokerEndpoint(chosen.Host, chosen.Port);
        }
        return broker.Port > 0 ? new BrokerEndpoint(broker.Host, broker.Port) : null;
    }
}
