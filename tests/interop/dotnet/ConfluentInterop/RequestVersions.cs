using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace ConfluentInterop;

/// <summary>
/// The request versions librdkafka sent, read off its <c>debug=protocol</c> log ("Sent ProduceRequest (v11, ...").
/// A client built with <see cref="Configure"/> and <see cref="Handler"/> reports into it.
/// </summary>
internal sealed partial class RequestVersions
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<int, bool>> _seen = new(StringComparer.Ordinal);

    public static void Configure(ClientConfig config) => config.Debug = "protocol";

    public void Handler<TClient>(TClient client, LogMessage message)
    {
        var match = SentRequest().Match(message.Message);
        if (match.Success)
            _seen.GetOrAdd(match.Groups[1].Value, _ => new())[int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)] = true;
        else if (message.Level <= SyslogLevel.Warning)
            Interop.Log($"librdkafka {message.Level}: {message.Facility} {message.Message}");
    }

    public IReadOnlyCollection<int> Versions(string api) =>
        _seen.TryGetValue(api, out var versions) ? versions.Keys.Order().ToList() : [];

    /// <summary>"Produce v11, Fetch v16" for the APIs asked about that were seen.</summary>
    public string Summary(params string[] apis) =>
        string.Join(", ", apis.Where(api => _seen.ContainsKey(api)).Select(api => $"{api} v{string.Join("/v", Versions(api))}"));

    [GeneratedRegex(@"Sent (\w+)Request \(v(\d+)")]
    private static partial Regex SentRequest();
}
