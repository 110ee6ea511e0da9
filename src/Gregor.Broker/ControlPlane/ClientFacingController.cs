using Gregor.Broker.Configuration;
using Gregor.Broker.Hosting;
using Gregor.Metadata;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// The controller id a broker gives clients in Metadata and DescribeCluster. Clients send admin requests there, and in
/// a cluster the active controller is not a broker they can reach, so — as Kafka's KRaft brokers do — a cluster's
/// broker names a live broker: itself while it is unfenced (it forwards what needs the controller), else the lowest
/// unfenced one, else none (−1). The single node is its own controller.
/// </summary>
public static class ClientFacingController
{
    public static int Id(MetadataImage image, BrokerConfig? config)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (config is null || !NodeRuntime.IsClusterBroker(config)) return image.ControllerId;
        if (image.Brokers.TryGetValue(config.NodeId, out var self) && !self.Fenced) return self.NodeId;
        return image.Brokers.Values.Where(b => !b.Fenced).Select(b => b.NodeId).DefaultIfEmpty(-1).Min();
    }
}
