using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Replication;
using Gregor.Metadata;
using Gregor.Protocol;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Gregor.Broker.DataPlane.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task The_host_starts_the_replica_manager_registers_the_handlers_and_closes_the_logs_on_stop()
    {
        string root = Path.Combine(Path.GetTempPath(), "gregor-dataplane-tests", Guid.NewGuid().ToString("N"));
        try
        {
            var config = new BrokerConfig { NodeId = TestMetadataView.NodeId, LogDirs = [root] };
            var metadata = new TestMetadataView();
            var builder = Host.CreateApplicationBuilder();
            builder.Services.AddSingleton<IMetadataView>(metadata);
            builder.Services.AddGregorDataPlane(config);
            using IHost host = builder.Build();

            await host.StartAsync();
            metadata.CreateTopic("hosted");
            var handlers = host.Services.GetServices<IApiHandler>().ToDictionary(h => h.Api);
            var replicas = host.Services.GetRequiredService<ReplicaManager>();
            await host.StopAsync();

            Assert.Equal([ApiKey.Produce, ApiKey.Fetch, ApiKey.ListOffsets, ApiKey.OffsetForLeaderEpoch], handlers.Keys);
            Assert.Equal((0, 11), (handlers[ApiKey.Produce].LowestVersion, handlers[ApiKey.Produce].HighestVersion));
            Assert.Equal(TimeSpan.FromMinutes(5), replicas.RetentionCheckInterval);
            // The log dir is marked cleanly shut down as a whole, as Kafka marks it.
            Assert.True(File.Exists(Path.Combine(root, Gregor.Storage.LogFileNames.CleanShutdownMarker)));
        }
        finally
        {
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
