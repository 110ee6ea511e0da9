namespace Gregor.Client;

/// <summary>
/// The settings this client knows, with the Java client's names and defaults (Kafka 4.0, e.g. linger.ms 5,
/// acks all, enable.idempotence true, session.timeout.ms 45000), and a few librdkafka names as aliases so a
/// Confluent.Kafka configuration carries over.
/// </summary>
internal static class ConfigDefinitions
{
    private const ConfigScope P = ConfigScope.Producer;
    private const ConfigScope C = ConfigScope.Consumer;
    private const ConfigScope A = ConfigScope.Admin;
    private const ConfigScope All = ConfigScope.All;
    private const string IntMax = "2147483647";

    public static readonly IReadOnlyDictionary<string, ConfigDefinition> ByName = new ConfigDefinition[]
    {
        // Every client.
        new("bootstrap.servers", ConfigType.HostPortList, null, All),
        new("client.id", ConfigType.String, "", All),
        new("request.timeout.ms", ConfigType.Int, "30000", All, Min: 0),
        new("retry.backoff.ms", ConfigType.Long, "100", All, Min: 0),
        new("retry.backoff.max.ms", ConfigType.Long, "1000", All, Min: 0),
        new("reconnect.backoff.ms", ConfigType.Long, "50", All, Min: 0),
        new("reconnect.backoff.max.ms", ConfigType.Long, "1000", All, Min: 0),
        new("metadata.max.age.ms", ConfigType.Long, "300000", All, Min: 0),
        new("connections.max.idle.ms", ConfigType.Long, "540000", All),
        new("socket.connection.setup.timeout.ms", ConfigType.Long, "10000", All, Min: 0),
        new("socket.connection.setup.timeout.max.ms", ConfigType.Long, "30000", All, Min: 0),
        new("security.protocol", ConfigType.Choice, "plaintext", All, Allowed: ["plaintext"]),
        new("retries", ConfigType.Int, IntMax, P | A, Min: 0),
        new("default.api.timeout.ms", ConfigType.Int, "60000", C | A, Min: 0),

        // Producer.
        new("acks", ConfigType.Choice, "all", P, Allowed: ["all", "-1", "0", "1"]),
        new("linger.ms", ConfigType.Int, "5", P, Min: 0),
        new("batch.size", ConfigType.Int, "16384", P, Min: 0),
        new("compression.type", ConfigType.Choice, "none", P, Allowed: ["none", "gzip", "snappy", "lz4", "zstd"]),
        new("max.in.flight.requests.per.connection", ConfigType.Int, "5", P, Min: 1),
        new("delivery.timeout.ms", ConfigType.Int, "120000", P, Min: 0),
        new("buffer.memory", ConfigType.Long, "33554432", P, Min: 0),
        new("max.block.ms", ConfigType.Long, "60000", P, Min: 0),
        new("max.request.size", ConfigType.Int, "1048576", P, Min: 0),
        new("enable.idempotence", ConfigType.Bool, "true", P),
        new("partitioner.ignore.keys", ConfigType.Bool, "false", P),
        new("metadata.max.idle.ms", ConfigType.Long, "300000", P, Min: 5000),
        new("transactional.id", ConfigType.String, null, P),
        new("transaction.timeout.ms", ConfigType.Int, "60000", P, Min: 1),

        // Consumer.
        new("group.id", ConfigType.String, null, C),
        new("group.instance.id", ConfigType.String, null, C),
        // KIP-848's "consumer" protocol is not spoken: only the classic JoinGroup/SyncGroup protocol.
        new("group.protocol", ConfigType.Choice, "classic", C, Allowed: ["classic"]),
        new("fetch.min.bytes", ConfigType.Int, "1", C, Min: 0),
        new("fetch.max.bytes", ConfigType.Int, "52428800", C, Min: 0),
        new("fetch.max.wait.ms", ConfigType.Int, "500", C, Min: 0),
        new("max.partition.fetch.bytes", ConfigType.Int, "1048576", C, Min: 0),
        new("max.poll.records", ConfigType.Int, "500", C, Min: 1),
        new("auto.offset.reset", ConfigType.Choice, "latest", C, Allowed: ["latest", "earliest", "none", "error", "smallest", "largest", "beginning", "end"]),
        new("enable.auto.commit", ConfigType.Bool, "true", C),
        new("auto.commit.interval.ms", ConfigType.Int, "5000", C, Min: 0),
        new("session.timeout.ms", ConfigType.Int, "45000", C, Min: 1),
        new("heartbeat.interval.ms", ConfigType.Int, "3000", C, Min: 1),
        new("max.poll.interval.ms", ConfigType.Int, "300000", C, Min: 1),
        new("partition.assignment.strategy", ConfigType.ChoiceList, "range,cooperative-sticky", C,
            Allowed: ["range", "roundrobin", "cooperative-sticky",
                "org.apache.kafka.clients.consumer.RangeAssignor", "org.apache.kafka.clients.consumer.RoundRobinAssignor",
                "org.apache.kafka.clients.consumer.CooperativeStickyAssignor"]),
        new("isolation.level", ConfigType.Choice, "read_uncommitted", C, Allowed: ["read_uncommitted", "read_committed"]),
        new("check.crcs", ConfigType.Bool, "true", C),
        new("exclude.internal.topics", ConfigType.Bool, "true", C),
        new("allow.auto.create.topics", ConfigType.Bool, "true", C),
        new("enable.partition.eof", ConfigType.Bool, "false", C),
        new("enable.auto.offset.store", ConfigType.Bool, "true", C),
        new("client.rack", ConfigType.String, "", C),
    }.ToDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>librdkafka's names for the same settings.</summary>
    public static readonly IReadOnlyDictionary<string, string> Aliases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["metadata.broker.list"] = "bootstrap.servers",
        ["queue.buffering.max.ms"] = "linger.ms",
        ["message.timeout.ms"] = "delivery.timeout.ms",
        ["compression.codec"] = "compression.type",
        ["request.required.acks"] = "acks",
        ["max.in.flight"] = "max.in.flight.requests.per.connection",
        ["message.send.max.retries"] = "retries",
        ["fetch.wait.max.ms"] = "fetch.max.wait.ms",
        ["fetch.message.max.bytes"] = "max.partition.fetch.bytes",
    };

    public static string Canonical(string key) => Aliases.TryGetValue(key, out string? name) ? name : key;

    /// <summary>The known name closest to a misspelt one, if any is close.</summary>
    public static string? Suggest(string unknown)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string name in ByName.Keys.Concat(Aliases.Keys))
        {
            int distance = EditDistance(unknown, name);
            if (distance < bestDistance)
            {
                bestDistance = distance;
                best = name;
            }
        }
        return bestDistance <= Math.Max(2, unknown.Length / 4) ? best : null;
    }

    private static int EditDistance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 8) return int.MaxValue;
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int substitute = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(substitute, Math.Min(previous[j] + 1, current[j - 1] + 1));
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
