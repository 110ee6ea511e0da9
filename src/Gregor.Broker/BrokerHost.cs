using System.Net;
using Gregor.Broker.Configuration;
using Gregor.Broker.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker;

/// <summary>
/// A running broker: Kestrel serving the Kafka protocol on every listener, with the control plane,
/// the data plane and the network registered in one container. Stopping it (or SIGTERM / Ctrl-C
/// when run from the command line) stops accepting, lets each connection finish the request in
/// hand, then stops the hosted services (the data plane flushes its logs there).
/// </summary>
public sealed class BrokerHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<(ListenerEndpoint Listener, ListenOptions Options)> _bindings;

    private BrokerHost(WebApplication app, List<(ListenerEndpoint, ListenOptions)> bindings)
    {
        _app = app;
        _bindings = bindings;
    }

    public BrokerConfig Config => _app.Services.GetRequiredService<BrokerConfig>();

    public IServiceProvider Services => _app.Services;

    /// <summary>Where each listener is bound, with the real port when the setting asked for port 0. Valid once started.</summary>
    public IReadOnlyList<(string Listener, IPEndPoint EndPoint)> BoundEndpoints =>
        _bindings.Select(b => (b.Listener.Name, b.Options.IPEndPoint ?? throw new InvalidOperationException("listener is not an IP endpoint"))).ToList();

    /// <summary>The port of the first listener, as bound.</summary>
    public int Port => BoundEndpoints[0].EndPoint.Port;

    /// <summary>
    /// Builds a broker without starting it; a configuration this build cannot run (see <see cref="NodeRuntime"/>)
    /// is a <see cref="BrokerConfigException"/>. <paramref name="configureServices"/> runs after the
    /// broker's own registrations (tests add handlers or replace logging there).
    /// </summary>
    public static BrokerHost Create(BrokerConfig config, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        NodeRuntime.EnsureRunnable(config);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        // Requests are read one at a time: what a client pipelines beyond this waits in the kernel's socket buffer.
        builder.WebHost.UseSockets(sockets => sockets.MaxReadBufferSize = MemoryBudget.InputPauseBytes);
        var bindings = new List<(ListenerEndpoint, ListenOptions)>();
        builder.WebHost.ConfigureKestrel(kestrel => bindings.AddRange(ListenerBinding.Bind(kestrel, config.Listeners)));
        ConfigureLogging(builder.Logging);
        builder.Services.AddGregorNetwork(config);
        if (NodeRuntime.IsControllerQuorumMember(config))
        {
            builder.Services.AddGregorControllerQuorum(config);
        }
        else if (NodeRuntime.IsClusterBroker(config))
        {
            builder.Services.AddGregorClusterBroker(config);
        }
        else
        {
            builder.Services.AddGregorControlPlane(config);
            builder.Services.AddGregorDataPlane(config);
            builder.Services.AddGregorGroups(config);
        }
        configureServices?.Invoke(builder.Services);
        var host = new BrokerHost(builder.Build(), bindings);
        host.LogLifecycle();
        return host;
    }

    private void LogLifecycle()
    {
        var lifetime = _app.Services.GetRequiredService<IHostApplicationLifetime>();
        var log = _app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gregor.Broker");
        lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var (listener, endPoint) in BoundEndpoints)
                BrokerLog.Listening(log, listener, endPoint);
            BrokerLog.Limits(log, LimitsSummary.Describe(Config));
            BrokerLog.Started(log, Config.NodeId);
        });
        lifetime.ApplicationStopping.Register(() => BrokerLog.Stopping(log));
        lifetime.ApplicationStopped.Register(() => BrokerLog.Stopped(log));
    }

    /// <summary>Builds and starts a broker; with a port-0 listener, <see cref="Port"/> says where it landed.</summary>
    public static async Task<BrokerHost> StartAsync(BrokerConfig config, Action<IServiceCollection>? configureServices = null, CancellationToken cancellationToken = default)
    {
        var host = Create(config, configureServices);
        try
        {
            await host.StartAsync(cancellationToken).ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task StartAsync(CancellationToken cancellationToken = default) => _app.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken = default) => _app.StopAsync(cancellationToken);

    /// <summary>Runs until SIGTERM or Ctrl-C, then shuts down in order.</summary>
    public Task RunAsync(CancellationToken cancellationToken = default) => _app.RunAsync(cancellationToken);

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static void ConfigureLogging(ILoggingBuilder logging)
    {
        logging.AddSimpleConsole(options =>
        {
            options.SingleLine = true;
            options.UseUtcTimestamp = true;
            options.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
        });
        logging.SetMinimumLevel(LogLevel.Information);
        // Kestrel's own connection chatter adds nothing to the broker's connection log.
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // The generic host's start/stop lines speak of HTTP and content roots; the broker logs its own.
        logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning);
    }
}
