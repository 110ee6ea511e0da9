using System.Diagnostics;
using System.Text.Json;

namespace Gregor.Client.Tests.Groups;

/// <summary>A confluent-kafka consumer (librdkafka 2.0.2, Debian's python3-confluent-kafka) in its own process, reporting its assignment.</summary>
internal sealed class ConfluentMember : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private int[] _assignment = [];

    private ConfluentMember(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) => Read(e.Data);
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_output) _output.Add("stderr: " + e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static ConfluentMember Start(string bootstrap, string group, string topic, string strategy)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Groups", "confluent_member.py");
        var info = new ProcessStartInfo("/usr/bin/python3")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { script, bootstrap, group, topic, strategy }) info.ArgumentList.Add(arg);
        return new ConfluentMember(Process.Start(info) ?? throw new InvalidOperationException("python3 did not start"));
    }

    public IReadOnlySet<int> Assignment
    {
        get { lock (_output) return new HashSet<int>(_assignment); }
    }

    public string Output
    {
        get { lock (_output) return string.Join(" | ", _output); }
    }

    public bool HasExited => _process.HasExited;

    private void Read(string? line)
    {
        if (line is null) return;
        lock (_output)
        {
            _output.Add(line);
            using var json = JsonDocument.Parse(line);
            if (json.RootElement.TryGetProperty("assignment", out var a)) _assignment = [.. a.EnumerateArray().Select(e => e.GetInt32())];
        }
    }

    /// <summary>Asks the consumer to close (it leaves the group) and waits for the process.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited) return;
        await _process.StandardInput.WriteLineAsync("stop");
        await _process.StandardInput.FlushAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        try { await StopAsync(); }
        catch (OperationCanceledException) { }
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
