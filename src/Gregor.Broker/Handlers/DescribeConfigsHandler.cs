using System.Globalization;
using Gregor.Broker.Configuration;
using Gregor.Broker.ControlPlane;
using Gregor.Broker.Dispatch;
using Gregor.Metadata;
using Gregor.Metadata.Configs;
using Gregor.Protocol;
using Gregor.Protocol.Messages;

namespace Gregor.Broker.Handlers;

/// <summary>
/// DescribeConfigs for topics and brokers: each config's value and where it came from (topic override,
/// dynamic broker or cluster default, static server.properties, built-in default), with synonyms (v1+ when
/// asked), is_default (v0), config type and documentation (v3+). A resource named twice is described once; the
/// repeat gets INVALID_REQUEST, as AlterConfigs answers repeats.
/// </summary>
public sealed class DescribeConfigsHandler(IMetadataView view, BrokerConfig config) : ApiHandler<DescribeConfigsRequest, DescribeConfigsResponse>
{
    public override ApiKey Api => ApiKey.DescribeConfigs;

    protected override ValueTask<DescribeConfigsResponse?> HandleAsync(RequestContext context, DescribeConfigsRequest request, CancellationToken cancellationToken)
    {
        short version = context.ApiVersion;
        var image = view.Current;
        var staticConfigs = StaticBrokerConfigs.Of(config);
        var response = new DescribeConfigsResponse();
        var described = new HashSet<(sbyte, string)>();
        foreach (var resource in request.Resources)
        {
            var result = new DescribeConfigsResponse.DescribeConfigsResult { ResourceType = resource.ResourceType, ResourceName = resource.ResourceName };
            response.Results.Add(result);
            // Each description holds every config of the resource; a resource repeated N times must not make the answer N times that.
            if (!described.Add((resource.ResourceType, resource.ResourceName)))
            {
                Fail(result, ErrorCode.InvalidRequest, "Duplicate resource in request.");
                continue;
            }
            IReadOnlyList<DescribedConfig> configs;
            switch ((ConfigResourceType)resource.ResourceType)
            {
                case ConfigResourceType.Topic:
                    var topic = image.Topic(resource.ResourceName);
                    if (topic is null)
                    {
                        Fail(result, ErrorCode.UnknownTopicOrPartition, $"Topic {resource.ResourceName} does not exist.");
                        continue;
                    }
                    configs = ConfigDescriber.DescribeTopic(image, topic, config.NodeId, staticConfigs);
                    break;
                case ConfigResourceType.Broker when resource.ResourceName.Length == 0:
                    // The cluster-wide default resource holds only what was set dynamically for every broker.
                    configs = image.ClusterConfigs.OrderBy(c => c.Key, StringComparer.Ordinal)
                        .Select(c => new DescribedConfig(c.Key, c.Value, ConfigSource.DynamicDefaultBrokerConfig, false, false,
                            BrokerConfigCatalog.Find(c.Key)?.Type ?? ConfigType.Unknown, BrokerConfigCatalog.Find(c.Key)?.Documentation ?? "",
                            [new DescribedSynonym(c.Key, c.Value, ConfigSource.DynamicDefaultBrokerConfig)]))
                        .ToList();
                    break;
                case ConfigResourceType.Broker:
                    if (!int.TryParse(resource.ResourceName, NumberStyles.None, CultureInfo.InvariantCulture, out int brokerId) || brokerId != config.NodeId)
                    {
                        Fail(result, ErrorCode.InvalidRequest, $"Unexpected broker id, expected {config.NodeId} or empty string, but received {resource.ResourceName}");
                        continue;
                    }
                    configs = ConfigDescriber.DescribeBroker(image, brokerId, staticConfigs);
                    break;
                default:
                    Fail(result, ErrorCode.InvalidRequest, $"Unsupported resource type {resource.ResourceType}");
                    continue;
            }
            HashSet<string>? keys = resource.ConfigurationKeys is { } k ? new HashSet<string>(k, StringComparer.Ordinal) : null;
            foreach (var c in configs)
            {
                if (keys is not null && !keys.Contains(c.Name)) continue;
                var entry = new DescribeConfigsResponse.DescribeConfigsResourceResult
                {
                    Name = c.Name,
                    Value = c.IsSensitive ? null : c.Value,
                    ReadOnly = c.ReadOnly,
                    IsDefault = c.Source == ConfigSource.DefaultConfig,
                    ConfigSource = (sbyte)c.Source,
                    IsSensitive = c.IsSensitive,
                    ConfigType = (sbyte)c.Type,
                    Documentation = version >= 3 && request.IncludeDocumentation ? c.Documentation : null,
                };
                if (version >= 1 && request.IncludeSynonyms)
                    foreach (var s in c.Synonyms)
                        entry.Synonyms.Add(new DescribeConfigsResponse.DescribeConfigsSynonym { Name = s.Name, Value = c.IsSensitive ? null : s.Value, Source = (sbyte)s.Source });
                result.Configs.Add(entry);
            }
        }
        return ValueTask.FromResult<DescribeConfigsResponse?>(response);
    }

    private static void Fail(DescribeConfigsResponse.DescribeConfigsResult result, ErrorCode error, string message)
    {
        result.ErrorCode = (short)error;
        result.ErrorMessage = message;
    }
}
