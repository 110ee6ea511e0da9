namespace Gregor.Client;

/// <summary>Settings every client shares.</summary>
public class ClientConfig : Config
{
    public ClientConfig()
    {
    }

    public ClientConfig(ClientConfig config)
        : base(config)
    {
    }

    public ClientConfig(IDictionary<string, string> config)
        : base(config)
    {
    }

    /// <summary><c>bootstrap.servers</c>: host:port[,host:port...] to discover the cluster from. Required.</summary>
    public string? BootstrapServers
    {
        get => GetString("bootstrap.servers");
        set => Set("bootstrap.servers", value);
    }

    /// <summary><c>client.id</c>: a name the broker logs and quotas by. Default empty.</summary>
    public string? ClientId
    {
        get => GetString("client.id");
        set => Set("client.id", value);
    }

    /// <summary><c>request.timeout.ms</c>: how long to wait for a broker's answer. Default 30000.</summary>
    public int RequestTimeoutMs
    {
        get => GetInt("request.timeout.ms");
        set => SetInt("request.timeout.ms", value);
    }

    /// <summary><c>retry.backoff.ms</c>: wait before retrying a failed request. Default 100.</summary>
    public int RetryBackoffMs
    {
        get => GetInt("retry.backoff.ms");
        set => SetInt("retry.backoff.ms", value);
    }

    /// <summary><c>retry.backoff.max.ms</c>: the cap of the exponential retry backoff. Default 1000.</summary>
    public int RetryBackoffMaxMs
    {
        get => GetInt("retry.backoff.max.ms");
        set => SetInt("retry.backoff.max.ms", value);
    }

    /// <summary><c>reconnect.backoff.ms</c>: wait before reconnecting to a broker. Default 50.</summary>
    public int ReconnectBackoffMs
    {
        get => GetInt("reconnect.backoff.ms");
        set => SetInt("reconnect.backoff.ms", value);
    }

    /// <summary><c>reconnect.backoff.max.ms</c>: the cap of the exponential reconnect backoff. Default 1000.</summary>
    public int ReconnectBackoffMaxMs
    {
        get => GetInt("reconnect.backoff.max.ms");
        set => SetInt("reconnect.backoff.max.ms", value);
    }

    /// <summary><c>metadata.max.age.ms</c>: refresh metadata at least this often. Default 300000.</summary>
    public int MetadataMaxAgeMs
    {
        get => GetInt("metadata.max.age.ms");
        set => SetInt("metadata.max.age.ms", value);
    }

    /// <summary><c>connections.max.idle.ms</c>: close connections idle this long. Default 540000.</summary>
    public int ConnectionsMaxIdleMs
    {
        get => GetInt("connections.max.idle.ms");
        set => SetInt("connections.max.idle.ms", value);
    }

    /// <summary><c>socket.connection.setup.timeout.ms</c>: how long a TCP connect may take. Default 10000.</summary>
    public int SocketConnectionSetupTimeoutMs
    {
        get => GetInt("socket.connection.setup.timeout.ms");
        set => SetInt("socket.connection.setup.timeout.ms", value);
    }

    /// <summary><c>security.protocol</c>: only plaintext is supported by this client.</summary>
    public SecurityProtocol SecurityProtocol
    {
        get
        {
            _ = GetChoice("security.protocol"); // throws on anything but plaintext
            return SecurityProtocol.Plaintext;
        }

        set => Set("security.protocol", value == SecurityProtocol.Plaintext ? "plaintext" : value.ToString());
    }
}
