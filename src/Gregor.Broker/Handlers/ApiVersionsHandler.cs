using System.Text.RegularExpressions;
using Gregor.Broker.Dispatch;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Microsoft.Extensions.DependencyInjection;

namespace Gregor.Broker.Handlers;

/// <summary>
/// ApiVersions: advertises exactly the version ranges of the registered handlers. The broker has no
/// feature flags, so the v3+ feature fields keep their defaults (no features, epoch -1) and are
/// not sent at all, as tagged fields at their default are omitted.
/// </summary>
public sealed partial class ApiVersionsHandler : ApiHandler<ApiVersionsRequest, ApiVersionsResponse>
{
    // The handler is itself one of the handlers it lists, so the list is resolved on first use
    // rather than injected (injecting it would be a dependency cycle).
    private readonly IServiceProvider _services;
    private ApiVersionsResponse? _advertised;

    public ApiVersionsHandler(IServiceProvider services) => _services = services;

    public override ApiKey Api => ApiKey.ApiVersions;

    /// <summary>
    /// The answer to an ApiVersions request of a version this broker does not know: error
    /// UNSUPPORTED_VERSION and the ApiVersions range, written as v0 so any client can read it and
    /// retry with a version it finds there.
    /// </summary>
    public static ApiVersionsResponse UnsupportedVersionResponse() => new()
    {
        ErrorCode = (short)Protocol.ErrorCode.UnsupportedVersion,
        ApiKeys = [Range(ApiKey.ApiVersions, ApiVersionsRequest.LowestSupportedVersion, ApiVersionsRequest.HighestSupportedVersion)],
    };

    protected override ValueTask<ApiVersionsResponse?> HandleAsync(RequestContext context, ApiVersionsRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(request);
        // From v3 the client names itself; Kafka refuses names outside this pattern with INVALID_REQUEST.
        if (context.ApiVersion >= 3 && !(SoftwarePattern().IsMatch(request.ClientSoftwareName) && SoftwarePattern().IsMatch(request.ClientSoftwareVersion)))
            return new(new ApiVersionsResponse { ErrorCode = (short)Protocol.ErrorCode.InvalidRequest });
        return new(_advertised ??= Advertised());
    }

    private ApiVersionsResponse Advertised()
    {
        var registry = _services.GetRequiredService<ApiHandlerRegistry>();
        var response = new ApiVersionsResponse();
        foreach (var handler in registry.Handlers)
            response.ApiKeys.Add(Range(handler.Api, handler.LowestVersion, handler.HighestVersion));
        return response;
    }

    private static ApiVersionsResponse.ApiVersion Range(ApiKey api, short min, short max) =>
        new() { ApiKey = (short)api, MinVersion = min, MaxVersion = max };

    [GeneratedRegex("^[a-zA-Z0-9](?:[a-zA-Z0-9\\-.]*[a-zA-Z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex SoftwarePattern();
}
