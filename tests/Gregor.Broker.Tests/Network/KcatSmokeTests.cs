using System.Diagnostics;

namespace Gregor.Broker.Tests.Network;

/// <summary>
/// librdkafka (through kcat, installed by the project's setup scripts) connects and negotiates
/// ApiVersions. Only the handshake is checked: what follows depends on the other APIs.
/// </summary>
public sealed class KcatSmokeTests
{
    [Fact]
    public async Task Kcat_connects_and_negotiates_api_versions()
    {
        await using var broker = await TestBroker.StartAsync();
        var start = new ProcessStartInfo("kcat", ["-b", $"127.0.0.1:{broker.Port}", "-L", "-d", "protocol", "-m", "5"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using var kcat = Process.Start(start) ?? throw new InvalidOperationException("kcat did not start");
        Task<string> stderr = kcat.StandardError.ReadToEndAsync();
        Task<string> stdout = kcat.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await kcat.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!kcat.HasExited) kcat.Kill();
        }
        string debug = await stderr + await stdout;
        // librdkafka asks with v3 first; it must neither fall back to v0 nor see an error.
        Assert.Contains("Received ApiVersionResponse (v3", debug, StringComparison.Ordinal);
        Assert.DoesNotContain("ApiVersionRequest failed", debug, StringComparison.Ordinal);
    }
}
