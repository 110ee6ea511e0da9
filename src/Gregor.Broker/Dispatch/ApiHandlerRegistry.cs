using Gregor.Broker.Configuration;
using Gregor.Protocol;

namespace Gregor.Broker.Dispatch;

/// <summary>
/// The registered handlers by API key, looked up once per request, with the decoding budget every
/// request gets. Two handlers for one key is a wiring mistake and stops start-up.
/// </summary>
public sealed class ApiHandlerRegistry
{
    private readonly IApiHandler?[] _byKey;

    public ApiHandlerRegistry(IEnumerable<IApiHandler> handlers)
        : this(handlers, RequestLimits.DefaultMaxRequestPartitions)
    {
    }

    public ApiHandlerRegistry(IEnumerable<IApiHandler> handlers, BrokerConfig config)
        : this(handlers, (config ?? throw new ArgumentNullException(nameof(config))).MaxRequestPartitions)
    {
    }

    private ApiHandlerRegistry(IEnumerable<IApiHandler> handlers, int maxRequestPartitions)
    {
        ArgumentNullException.ThrowIfNull(handlers);
        MaxRequestPartitions = maxRequestPartitions;
        var all = handlers.OrderBy(h => (short)h.Api).ToList();
        int size = all.Count == 0 ? 0 : all.Max(h => (short)h.Api) + 1;
        _byKey = new IApiHandler?[size];
        foreach (var handler in all)
        {
            short key = (short)handler.Api;
            if (key < 0)
                throw new InvalidOperationException($"{handler.GetType().Name} declares the negative API key {key}");
            if (handler.LowestVersion < 0 || handler.LowestVersion > handler.HighestVersion)
                throw new InvalidOperationException($"{handler.GetType().Name} declares the empty version range {handler.LowestVersion}..{handler.HighestVersion}");
            if (_byKey[key] is { } existing)
                throw new InvalidOperationException($"{handler.Api} has two handlers: {existing.GetType().Name} and {handler.GetType().Name}");
            _byKey[key] = handler;
        }
        Handlers = all;
    }

    /// <summary><c>max.request.partitions</c>: the element budget every request is decoded with.</summary>
    public int MaxRequestPartitions { get; }

    /// <summary>Every handler, by ascending API key.</summary>
    public IReadOnlyList<IApiHandler> Handlers { get; }

    public IApiHandler? Find(short apiKey) => apiKey >= 0 && apiKey < _byKey.Length ? _byKey[apiKey] : null;
}
