using Gregor.Broker;
using Gregor.Broker.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gregor.Client.Tests.Integration;

/// <summary>
/// A broker in this process on 127.0.0.1, with a log dir of its own. It can be stopped and started
/// again on the same port and log dir, which is how tests make a client ride out a restart.
/// </summary>
internal sealed class ClientTestBroker : IAsyncDisposable
{
    private readonly string _logDir;
    private readonly string[] _settings;
    private BrokerHost? _host;

    private ClientTestBroker(string logDir, string[] settings)
    {
        _logDir = logDir;
        _settings = settings;
    }

    public int Port { get; private set; }

    public string Bootstrap => "127.0.0.1:" + Port;

    public static async Task<ClientTestBroker> StartAsync(params string[] settings)
    {
        string logDir = Path.Combine(Path.GetTempPath(), "gregor-client-tests-" + Guid.NewGuid().ToString("N"));
        var broker = new ClientTestBroker(logDir, settings);
        // A port chosen before the broker starts: the broker advertises its configured port (0 would
        // be advertised as is), and a restart must come back on the same one.
        broker.Port = FreePort();
        await broker.StartAgainAsync();
        return broker;
    }

    private static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task StartHostAsync(int port)
    {
        var all = new List<string> { $"listeners=PLAINTEXT://127.0.0.1:{port}", "log.dirs=" + _logDir };
        all.AddRange(_settings);
        var config = BrokerConfigParser.Parse(all.Select(BrokerConfigParser.ParseOverride));
        _host = await BrokerHost.StartAsync(config, services => services.AddLogging(b => b.ClearProviders()));
        Port = _host.Port;
    }

    public async Task StopAsync()
    {
        if (_host is null) return;
        await _host.StopAsync();
        await _host.DisposeAsync();
        _host = null;
    }

    /// <summary>Starts again on the same port and log dir (after <see cref="StopAsync"/>).</summary>
    public async Task StartAgainAsync()
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                await StartHostAsync(Port);
                return;
            }
            catch (IOException) when (attempt < 50)
            {
                await Task.Delay(100); // the port may linger a moment after the old listener closed
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_logDir, recursive: true); } catch (IOException) { } // best effort: the OS cleans /tmp
    }
}
