using System.Collections.Immutable;
using System.Globalization;
using Gregor.Metadata.Configs;
using Gregor.Metadata.Records;
using Gregor.Protocol;

namespace Gregor.Metadata.Controller;

public sealed partial class QuorumController
{
    /// <summary>IncrementalAlterConfigs: set, delete, append to or subtract from single keys; each resource succeeds or fails whole.</summary>
    public Task<IReadOnlyList<Outcome>> IncrementalAlterConfigsAsync(IReadOnlyList<ConfigResourceChanges> resources, bool validateOnly, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resources);
        return RunAsync<IReadOnlyList<Outcome>>(!validateOnly, cancellationToken, op =>
        {
            var outcomes = new List<Outcome>(resources.Count);
            foreach (var resource in resources)
            {
                var current = CurrentConfigs(op.Image, resource.ResourceType, resource.ResourceName, out Outcome found);
                if (!found.IsOk)
                {
                    outcomes.Add(found);
                    continue;
                }
                var outcome = ApplyIncremental(resource, current!, out var target);
                if (outcome.IsOk) outcome = CheckResource(resource.ResourceType, current!, target);
                if (outcome.IsOk) EmitDifference(op, resource.ResourceType, resource.ResourceName, current!, target);
                outcomes.Add(outcome);
            }
            return outcomes;
        });
    }

    /// <summary>AlterConfigs: the given configs become the resource's whole dynamic config.</summary>
    public Task<IReadOnlyList<Outcome>> AlterConfigsAsync(IReadOnlyList<ConfigResourceReplacement> resources, bool validateOnly, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(resources);
        return RunAsync<IReadOnlyList<Outcome>>(!validateOnly, cancellationToken, op =>
        {
            var outcomes = new List<Outcome>(resources.Count);
            foreach (var resource in resources)
            {
                var current = CurrentConfigs(op.Image, resource.ResourceType, resource.ResourceName, out Outcome found);
                if (!found.IsOk)
                {
                    outcomes.Add(found);
                    continue;
                }
                var target = new Dictionary<string, string>(StringComparer.Ordinal);
                Outcome outcome = Outcome.Ok;
                foreach (var (name, value) in resource.Configs)
                {
                    if (value is null)
                    {
                        outcome = new Outcome(ErrorCode.InvalidRequest, $"Null value not supported for : {name}");
                        break;
                    }
                    if (!target.TryAdd(name, value))
                    {
                        outcome = new Outcome(ErrorCode.InvalidRequest, $"Error due to duplicate config keys: {name}");
                        break;
                    }
                }
                if (outcome.IsOk) outcome = CheckResource(resource.ResourceType, current!, target);
                if (outcome.IsOk) EmitDifference(op, resource.ResourceType, resource.ResourceName, current!, target);
                outcomes.Add(outcome);
            }
            return outcomes;
        });
    }

    private static ImmutableDictionary<string, string>? CurrentConfigs(MetadataImage image, ConfigResourceType type, string name, out Outcome outcome)
    {
        outcome = Outcome.Ok;
        switch (type)
        {
            case ConfigResourceType.Topic:
                if (TopicNameRules.Check(name) is string illegal)
                {
                    outcome = new Outcome(ErrorCode.InvalidTopicException, illegal);
                    return null;
                }
                var topic = image.Topic(name);
                if (topic is null) outcome = new Outcome(ErrorCode.UnknownTopicOrPartition, $"The topic '{name}' does not exist.");
                return topic?.Configs;
            case ConfigResourceType.Broker when name.Length == 0:
                return image.ClusterConfigs;
            case ConfigResourceType.Broker:
                if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int brokerId))
                {
                    outcome = new Outcome(ErrorCode.InvalidRequest, $"Illegal broker id '{name}': a broker resource is named by a broker id, or empty for every broker.");
                    return null;
                }
                return image.DynamicBrokerConfigs(brokerId);
            default:
                outcome = new Outcome(ErrorCode.InvalidRequest, $"Unsupported resource type {(sbyte)type} for config changes.");
                return null;
        }
    }

    private static Outcome ApplyIncremental(ConfigResourceChanges resource, ImmutableDictionary<string, string> current, out Dictionary<string, string> target)
    {
        target = new Dictionary<string, string>(current, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var change in resource.Changes)
        {
            if (!seen.Add(change.Name))
                return new Outcome(ErrorCode.InvalidRequest, $"Error due to duplicate config keys: {change.Name}");
            var definition = resource.ResourceType == ConfigResourceType.Topic ? TopicConfigCatalog.Find(change.Name) : BrokerConfigCatalog.Find(change.Name);
            switch (change.Operation)
            {
                case ConfigOperationKind.Set:
                    if (change.Value is null) return new Outcome(ErrorCode.InvalidRequest, $"Null value not supported for : {change.Name}");
                    target[change.Name] = change.Value;
                    break;
                case ConfigOperationKind.Delete:
                    target.Remove(change.Name);
                    break;
                case ConfigOperationKind.Append:
                case ConfigOperationKind.Subtract:
                    if (definition is null)
                        return new Outcome(ErrorCode.InvalidConfig, $"Unknown config name: {change.Name}");
                    if (!definition.IsList)
                        return new Outcome(ErrorCode.InvalidConfig, $"Config value {(change.Operation == ConfigOperationKind.Append ? "append" : "subtract")} is not allowed for config key {change.Name}");
                    string baseValue = target.TryGetValue(change.Name, out string? set) ? set : definition.Default ?? "";
                    var items = ConfigValidators.SplitList(baseValue).ToList();
                    foreach (string item in ConfigValidators.SplitList(change.Value ?? ""))
                    {
                        if (change.Operation == ConfigOperationKind.Append) { if (!items.Contains(item)) items.Add(item); }
                        else items.Remove(item);
                    }
                    target[change.Name] = string.Join(",", items);
                    break;
                default:
                    return new Outcome(ErrorCode.InvalidRequest, $"Unknown config operation {(sbyte)change.Operation} for {change.Name}");
            }
        }
        return Outcome.Ok;
    }

    /// <summary>Checks a resource's would-be config: every changed key on its own, and a topic's keys together.</summary>
    private Outcome CheckResource(ConfigResourceType type, ImmutableDictionary<string, string> current, Dictionary<string, string> target)
    {
        if (type == ConfigResourceType.Topic)
        {
            foreach (var (name, value) in target)
                if (TopicConfigCatalog.Check(name, value) is string problem)
                    return new Outcome(ErrorCode.InvalidConfig, problem);
            return CheckTopicConfigsTogether(target);
        }
        foreach (string name in target.Keys.Union(current.Keys))
        {
            target.TryGetValue(name, out string? value);
            current.TryGetValue(name, out string? old);
            if (value == old) continue;
            if (BrokerConfigCatalog.CheckDynamic(name, value) is var (error, message))
                return new Outcome(error, message);
        }
        return Outcome.Ok;
    }

    private static void EmitDifference(PendingOperation op, ConfigResourceType type, string name,
        ImmutableDictionary<string, string> current, Dictionary<string, string> target)
    {
        foreach (var key in current.Keys.Order(StringComparer.Ordinal))
            if (!target.ContainsKey(key))
                op.Add(new ConfigRecord { ResourceType = (sbyte)type, ResourceName = name, Name = key, Value = null });
        foreach (var (key, value) in target.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            if (!current.TryGetValue(key, out string? old) || old != value)
                op.Add(new ConfigRecord { ResourceType = (sbyte)type, ResourceName = name, Name = key, Value = value });
    }
}
