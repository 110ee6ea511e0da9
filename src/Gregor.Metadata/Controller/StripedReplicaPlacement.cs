namespace Gregor.Metadata.Controller;

/// <summary>
/// Places new partitions' replicas the way Kafka's striped placer does: brokers are grouped by rack (brokers without
/// a rack form one group), racks taken in name order from a random starting rack, and brokers within a rack round-robin
/// from a random starting broker. Partition k starts one rack further than partition k-1, and its replicas go to
/// successive racks, so a partition's replicas are spread over as many racks as it has replicas (when there are that
/// many) and leaders spread over racks and brokers. No broker holds two replicas of a partition.
/// </summary>
internal sealed class StripedReplicaPlacement
{
    private readonly List<Rack> _racks;
    private readonly int _firstRack;

    /// <param name="brokers">The brokers that may hold new replicas, with their racks.</param>
    public StripedReplicaPlacement(IEnumerable<(int Id, string? Rack)> brokers, Random random)
    {
        _racks = [.. brokers
            .GroupBy(b => b.Rack ?? "", StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => new Rack([.. g.Select(b => b.Id).Order()]))];
        _firstRack = _racks.Count == 0 ? 0 : random.Next(_racks.Count);
        foreach (var rack in _racks)
            rack.Next = random.Next(rack.Brokers.Length);
    }

    public int BrokerCount => _racks.Sum(r => r.Brokers.Length);

    /// <summary>Replica lists for <paramref name="count"/> partitions of <paramref name="replicationFactor"/> replicas; the first replica leads.</summary>
    public List<List<int>> Place(int count, int replicationFactor)
    {
        if (replicationFactor > BrokerCount)
            throw new ArgumentOutOfRangeException(nameof(replicationFactor), $"{replicationFactor} replicas cannot be placed on {BrokerCount} brokers");
        var placement = new List<List<int>>(count);
        for (int p = 0; p < count; p++)
        {
            var replicas = new List<int>(replicationFactor);
            for (int j = 0; j < replicationFactor; j++)
                replicas.Add(NextBroker((_firstRack + p + j) % _racks.Count, replicas));
            // A rack a partition took several replicas from starts the next partition one broker further than this
            // one started, so leaders still rotate when a rack holds as many brokers as a partition has replicas.
            foreach (var rack in _racks)
            {
                if (rack.TakenThisPartition > 1)
                    rack.Next = (rack.StartThisPartition + 1) % rack.Brokers.Length;
                rack.TakenThisPartition = 0;
            }
            placement.Add(replicas);
        }
        return placement;
    }

    /// <summary>The next broker of the first rack from <paramref name="rackIndex"/> on that has one not yet in <paramref name="taken"/>.</summary>
    private int NextBroker(int rackIndex, List<int> taken)
    {
        for (int r = 0; r < _racks.Count; r++)
        {
            var rack = _racks[(rackIndex + r) % _racks.Count];
            for (int k = 0; k < rack.Brokers.Length; k++)
            {
                int broker = rack.Brokers[(rack.Next + k) % rack.Brokers.Length];
                if (taken.Contains(broker)) continue;
                if (rack.TakenThisPartition++ == 0) rack.StartThisPartition = rack.Next;
                rack.Next = (rack.Next + k + 1) % rack.Brokers.Length;
                return broker;
            }
        }
        throw new InvalidOperationException("no broker left for a replica");
    }

    private sealed class Rack(int[] brokers)
    {
        public int[] Brokers { get; } = brokers;

        public int Next { get; set; }

        public int StartThisPartition { get; set; }

        public int TakenThisPartition { get; set; }
    }
}
