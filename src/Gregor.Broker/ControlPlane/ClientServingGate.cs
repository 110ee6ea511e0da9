namespace Gregor.Broker.ControlPlane;

/// <summary>
/// Whether a broker of a cluster accepts client connections yet: closed from start until it has caught up with the
/// metadata quorum and registered with the controller (<see cref="BrokerLifecycleManager"/> opens it), open for good
/// after. Controller listeners are never gated: the quorum and the brokers' lifecycle need them first.
/// </summary>
public sealed class ClientServingGate
{
    private volatile bool _open;

    public bool IsOpen => _open;

    public void Open() => _open = true;
}
