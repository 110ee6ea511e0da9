using System.Collections.Concurrent;
using Gregor.Broker;
using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gregor.RequestFuzz.Tests;

/// <summary>One broker log line at Warning or above, with the exception's type and message when there was one.</summary>
internal sealed record BrokerLine(LogLevel Level, string Category, string Text, string? Exception);

/// <summary>
/// The broker under fuzzing: a real BrokerHost on 127.0.0.1 and a free port, over a temp log dir, with a small
/// fan-out cap so that mutated counts reach it often. Its warnings and errors are kept for the fuzzer to judge.
/// </summary>
internal sealed class FuzzBroker : IAsyncDisposable
{
    public const int FanOutCap = 1_000;

    private readonly string _logDir;

    private FuzzBroker(BrokerHost host, LineCollector lines, string logDir)
    {
        Host = host;
        Lines = lines;
        _logDir = logDir;
    }

    public BrokerHost Host { get; }

    public LineCollector Lines { get; }

    public int Port => Host.Port;

    public IReadOnlyList<ServedApi> Served =>
        Host.Services.GetRequiredService<ApiHandlerRegistry>().Handlers.Select(h => new ServedApi((short)h.Api, h.LowestVersion, h.HighestVersion)).ToList();

    public static async Task<FuzzBroker> StartAsync()
    {
        string logDir = Path.Combine(Path.GetTempPath(), "gregor-fuzz-" + Guid.NewGuid().ToString("N"));
        string[] settings = ["listeners=PLAINTEXT://127.0.0.1:0", "log.dirs=" + logDir, $"max.request.partitions={FanOutCap}"];
        var config = BrokerConfigParser.Parse(settings.Select(BrokerConfigParser.ParseOverride));
        var lines = new LineCollector();
        var host = await BrokerHost.StartAsync(config, services =>
            services.AddLogging(b => b.ClearProviders().AddProvider(lines).SetMinimumLevel(LogLevel.Warning)));
        return new FuzzBroker(host, lines, logDir);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
        try { Directory.Delete(_logDir, recursive: true); } catch (IOException) { } // best effort: the OS cleans /tmp
    }

    /// <summary>Collects lines as the broker logs them, from any of its threads.</summary>
    internal sealed class LineCollector : ILoggerProvider
    {
        private readonly ConcurrentQueue<BrokerLine> _lines = new();

        /// <summary>Takes every line logged since the last call.</summary>
        public List<BrokerLine> Drain()
        {
            var drained = new List<BrokerLine>();
            while (_lines.TryDequeue(out var line)) drained.Add(line);
            return drained;
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose() { }

        private sealed class Logger(LineCollector owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (!IsEnabled(logLevel)) return;
                owner._lines.Enqueue(new BrokerLine(logLevel, category, formatter(state, exception), exception is null ? null : exception.GetType().Name + ": " + exception.Message));
            }
        }
    }
}
