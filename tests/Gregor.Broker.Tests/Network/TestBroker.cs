using System.Collections.Concurrent;
using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Tests.Network;

/// <summary>A broker on 127.0.0.1 and a free port, its log captured for assertions.</summary>
internal sealed class TestBroker : IAsyncDisposable
{
    private TestBroker(BrokerHost host, CapturedLog log)
    {
        Host = host;
        Log = log;
    }

    public BrokerHost Host { get; }

    public CapturedLog Log { get; }

    public int Port => Host.Port;

    public static Task<TestBroker> StartAsync(IEnumerable<string>? settings = null, params IApiHandler[] extraHandlers) =>
        StartAsync(settings, null, extraHandlers);

    public static async Task<TestBroker> StartAsync(IEnumerable<string>? settings, TimeProvider? clock, params IApiHandler[] extraHandlers)
    {
        var all = new List<string> { "listeners=PLAINTEXT://127.0.0.1:0", "log.dirs=" + Path.Combine(Path.GetTempPath(), "gregor-net-tests") };
        all.AddRange(settings ?? []);
        var config = BrokerConfigParser.Parse(all.Select(BrokerConfigParser.ParseOverride));
        var log = new CapturedLog();
        var host = await BrokerHost.StartAsync(config, services =>
        {
            services.AddLogging(b => b.ClearProviders().AddProvider(log).SetMinimumLevel(LogLevel.Debug));
            foreach (var handler in extraHandlers) services.AddSingleton<IApiHandler>(handler);
            if (clock is not null) services.AddSingleton(clock);
        });
        return new TestBroker(host, log);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.StopAsync();
        await Host.DisposeAsync();
    }
}

/// <summary>Every log line, formatted, for tests to search.</summary>
internal sealed class CapturedLog : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _lines = new();

    public IReadOnlyList<(LogLevel Level, string Text)> Lines => _lines.ToArray();

    public bool Contains(LogLevel level, string text) =>
        _lines.Any(l => l.Level == level && l.Text.Contains(text, StringComparison.Ordinal));

    /// <summary>Log lines arrive from the connection's task; give them a moment.</summary>
    public async Task<bool> WaitForAsync(LogLevel level, string text)
    {
        for (int i = 0; i < 100 && !Contains(level, text); i++) await Task.Delay(50);
        return Contains(level, text);
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    private sealed class Logger(CapturedLog owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue((logLevel, formatter(state, exception) + (exception is null ? "" : " " + exception.GetType().Name)));
    }
}
