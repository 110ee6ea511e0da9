namespace Gregor.Raft.Tests.Simulation;

/// <summary>
/// Messages in flight between simulated nodes, with the network's faults drawn from one seeded random:
/// loss, duplication, delay (and so reordering), and partitions that cut pairs of nodes apart.
/// A message is dropped if its link is cut when it is sent or when it would arrive.
/// </summary>
internal sealed class SimulatedNetwork(Random random, double lossRate, double duplicateRate, int maxDelayMs)
{
    private readonly HashSet<(int, int)> _cut = [];
    private bool _calm;

    /// <summary>From now on no loss, duplication or stalls: the quiet period in which the quorum must converge.</summary>
    public void Calm() => _calm = true;

    public int Sent { get; private set; }
    public int Dropped { get; private set; }
    public int Duplicated { get; private set; }

    public bool IsCut(int a, int b) => _cut.Contains(a < b ? (a, b) : (b, a));

    public void Cut(int a, int b) => _cut.Add(a < b ? (a, b) : (b, a));

    public void HealAll() => _cut.Clear();

    public int CutCount => _cut.Count;

    /// <summary>The arrival times for one sent message: none when lost, two when duplicated.</summary>
    public IEnumerable<long> Schedule(long now, RaftEnvelope envelope)
    {
        Sent++;
        if (IsCut(envelope.Source, envelope.Destination) || (!_calm && random.NextDouble() < lossRate))
        {
            Dropped++;
            yield break;
        }
        yield return now + Delay();
        if (!_calm && random.NextDouble() < duplicateRate)
        {
            Duplicated++;
            yield return now + Delay();
        }
    }

    private long Delay()
    {
        // Mostly a millisecond or a few; now and then a long stall, which reorders messages.
        if (!_calm && random.NextDouble() < 0.02) return 50 + random.Next(10 * maxDelayMs);
        return 1 + random.Next(maxDelayMs);
    }
}
