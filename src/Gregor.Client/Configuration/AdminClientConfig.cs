namespace Gregor.Client;

/// <summary>Admin client settings.</summary>
public class AdminClientConfig : ClientConfig
{
    public AdminClientConfig()
    {
    }

    public AdminClientConfig(ClientConfig config)
        : base(config)
    {
    }

    public AdminClientConfig(IDictionary<string, string> config)
        : base(config)
    {
    }

    /// <summary>Checks the settings for an admin client; see <see cref="Config.Validate(ConfigScope)"/>.</summary>
    public IReadOnlyList<string> Validate() => Validate(ConfigScope.Admin);

    /// <summary><c>default.api.timeout.ms</c>: the timeout of an operation without one of its own. Default 60000.</summary>
    public int DefaultApiTimeoutMs
    {
        get => GetInt("default.api.timeout.ms");
        set => SetInt("default.api.timeout.ms", value);
    }

    /// <summary><c>retries</c>. Default int.MaxValue (bounded by default.api.timeout.ms).</summary>
    public int Retries
    {
        get => GetInt("retries");
        set => SetInt("retries", value);
    }
}
