using Gregor.Client;

namespace Gregor.Client.Tests.Cluster;

/// <summary>Gregor.Client consumers the cluster tests read with: short waits and back-offs, so a failover is followed quickly.</summary>
internal static class ClusterClients
{
    public static IConsumer<string, string> Consumer(params ClusterNode[] bootstrap)
    {
        var config = new ConsumerConfig { BootstrapServers = string.Join(",", bootstrap.Select(n => n.Bootstrap)) };
        config.Set("fetch.max.wait.ms", "100");
        config.Set("retry.backoff.ms", "50");
        config.Set("reconnect.backoff.ms", "50");
        config.Set("reconnect.backoff.max.ms", "200");
        return new ConsumerBuilder<string, string>(config).Build();
    }
}
