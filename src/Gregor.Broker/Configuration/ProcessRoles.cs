namespace Gregor.Broker.Configuration;

/// <summary>
/// <c>process.roles</c>: what a node does in a KRaft cluster. A broker serves clients and hosts partitions; a
/// controller is a member of the metadata quorum. Kafka 4 requires the setting; Gregor defaults to both, its
/// single-node shape.
/// </summary>
[Flags]
public enum ProcessRoles
{
    None = 0,
    Broker = 1,
    Controller = 2,
    BrokerAndController = Broker | Controller,
}
