using Gregor.Metadata;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// What a node does when its metadata log fails (an append or fsync, or its quorum member found an invariant broken):
/// it logs why and stops with exit status 1, as Kafka halts, rather than serve state its log may not replay to.
/// </summary>
public sealed class MetadataFailureStop(IHostApplicationLifetime lifetime, ILogger<MetadataFailureStop> logger)
{
    public void Stop(Exception failure)
    {
        logger.LogCritical(failure, "The metadata log failed; stopping the node so it recovers from the log on restart");
        Environment.ExitCode = 1;
        lifetime.StopApplication();
    }
}
