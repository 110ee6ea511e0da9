namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>
/// Messages between the controller (endpoint 0), the brokers (1..n) and the producers (100+), with faults from the
/// seeded random: loss, delay and cut links. A message is dropped if its link is cut when it is sent or when it would
/// arrive. Kafka's connections are TCP: messages on one link arrive in the order sent, and none twice.
/// </summary>
internal sealed class SimNetwork(Random random, double lossRate, int maxDelayMs)
{
    public const int Controller = 0;

    private readonly HashSet<(int, int)> _cut = [];
    private readonly Dictionary<(int From, int To), long> _lastArrival = [];
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
        long at = !_calm && random.NextDouble() < 0.02 ? now + 50 + random.Next(10 * maxDelayMs) : now + 1 + random.Next(maxDelayMs);
        at = Math.Max(at, _lastArrival.GetValueOrDefault((from, to)));
        _lastArrival[(from, to)] = at;
        return at;
    }
}
