namespace Gregor.Client.Groups;

/// <summary>
/// How a member gives partitions up in a rebalance. Eager: everything is revoked before the member
/// rejoins. Cooperative (KIP-429): a member keeps what it owns and gives up only what the new
/// assignment takes away, after which it rejoins once more so those partitions can move.
/// </summary>
internal enum RebalanceProtocol
{
    Eager = 0,
    Cooperative = 1,
}
