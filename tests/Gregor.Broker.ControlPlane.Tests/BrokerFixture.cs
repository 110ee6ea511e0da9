using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gregor.Broker.ControlPlane.Tests;

/// <summary>The control plane of one broker over a temp dir, started as the host starts it; requests go through the handlers' byte entry point.</summary>
internal sealed class BrokerFixture : IDisposable
{
    private readonly ControlPlaneHost _host;

    public BrokerFixture(bool autoCreate = true, Dictionary<string, string>? explicitSettings = null)
    {
        string dir = Path.Combine(Path.GetTempPath(), "gregor-cp-" + Guid.NewGuid().ToString("N"));
        Config = new BrokerConfig
        {
            NodeId = 1,
            LogDirs = [dir],
            Listeners = [new ListenerEndpoint("PLAINTEXT", "127.0.0.1", 19092)],
            AutoCreateTopicsEnable = autoCreate,
            NumPartitions = 2,
            Explicit = explicitSettings ?? new Dictionary<string, string>(),
        };
        Publisher = new MetadataPublisher(MetadataImage.Empty("", 1));
        Controller = new QuorumController(Publisher, new ControllerSettings(1) { NumPartitions = 2 }, TimeProvider.System, new Random(11));
        var lifetime = new Microsoft.Extensions.Hosting.Internal.ApplicationLifetime(NullLogger<Microsoft.Extensions.Hosting.Internal.ApplicationLifetime>.Instance);
        _host = new ControlPlaneHost(Controller, Quorum, Config, TimeProvider.System,
            new MetadataFailureStop(lifetime, NullLogger<MetadataFailureStop>.Instance), NullLogger<ControlPlaneHost>.Instance);
        _host.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
    }

    public BrokerConfig Config { get; }

    public MetadataPublisher Publisher { get; }

    public QuorumController Controller { get; }

    public MetadataQuorumStatus Quorum { get; } = new(TimeProvider.System);

    public static async Task<TResponse> Call<TRequest, TResponse>(IApiHandler handler, TRequest request, short version)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : class, IProtocolStruct
    {
        byte[] body = new byte[request.Size(version)];
        var writer = new Gregor.Protocol.Primitives.ProtocolWriter(body);
        request.Write(ref writer, version);
        var context = new RequestContext(handler.Api, version, 1, "test", null, 1, Memory<byte>.Empty);
        var response = await handler.HandleAsync(context, body, CancellationToken.None);
        var typed = Assert.IsType<TResponse>(response);
        // Every response must encode in the version asked for.
        byte[] encoded = new byte[typed.Size(version)];
        var responseWriter = new Gregor.Protocol.Primitives.ProtocolWriter(encoded);
        typed.Write(ref responseWriter, version);
        return typed;
    }

    public void Dispose()
    {
        _host.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        Controller.Dispose();
        try { Directory.Delete(Config.LogDirs[0], recursive: true); } catch (IOException) { }
    }
}
