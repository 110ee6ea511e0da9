using Gregor.Client.Network;
using Gregor.Net;

namespace Gregor.Client.Admin;

/// <summary>Builds an admin client from Kafka client settings (see <see cref="AdminClientConfig"/>).</summary>
public class AdminClientBuilder
{
    private readonly AdminClientConfig _config = new();

    public AdminClientBuilder(IEnumerable<KeyValuePair<string, string>> config)
    {
        ArgumentNullException.ThrowIfNull(config);
        foreach (var (key, value) in config) _config.Set(key, value);
    }

    public IAdminClient Build()
    {
        _config.Validate();
        var reader = new ConfigReader(_config);
        return new AdminClient(reader.ConnectionSettings(), reader.BootstrapServers(),
            reader.Millis("metadata.max.age.ms", 300_000, 1), reader.Millis("retry.backoff.ms", 100, 1));
    }
}
