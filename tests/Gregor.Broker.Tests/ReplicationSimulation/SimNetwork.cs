namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// Messages between the controller (endpoint 0), the brokers (1..n) and the producers (100+), with faults from the
/// seeded random: loss, delay (so reordering) and cut links. A message is dropped if its link is cut when it is sent
/// or when it would arrive. TCP does not duplicate, so neither does this.
/// </summary>
internal sealed class SimNetwork(Random random, double lossRate, int maxDelayMs)
{
    public const int Controller = 0;

    private readonly HashSet<(int, int)> _cut = [];
    private bool _calm;

    public void Calm() => _calm = true;

    public bool IsCut(int a, int b) => _cut.Contains(a < b ? (a, b) : (b, a));

    public void Cut(int a, int b)
    {
        if (a != b) _cut.Add(a < b ? (a, b) : (b, a));
    }

    public void HealAll() => _cut.Clear();

    /// <summary>When the message arrives, or null when it is lost.</summary>
    public long? Schedule(long now, int from, int to)
    {
        if (IsCut(from, to) || (!_calm && random.NextDouble() < lossRate))
            return null;
        if (!_calm && random.NextDouble() < 0.02)
            return now + 50 + random.Next(10 * maxDelayMs);
        return now + 1 + random.Next(maxDelayMs);
    }
}
