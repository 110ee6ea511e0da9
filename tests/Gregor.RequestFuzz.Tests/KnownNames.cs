using System.Collections;
using Gregor.Protocol.Messages;

namespace Gregor.RequestFuzz.Tests;

/// <summary>
/// Points a random request at things the broker has: random names almost never match a topic or group, random
/// partition indexes almost never a partition, and random timeouts park a request for days. Half the fields that
/// name a topic, group or partition, or give a timeout, are replaced by one of the broker's own, so handlers are
/// reached past their "unknown" answers.
/// </summary>
internal static class KnownNames
{
    private static readonly string[] Topics = [BrokerProbe.GoldenTopic, "__consumer_offsets", "fuzz-scratch"];
    private static readonly string[] Groups = ["golden-group", "fuzz-group"];
    private static readonly HashSet<string> TopicFields = ["Name", "Topic", "ResourceName", "TopicNames", "Topics"];
    private static readonly HashSet<string> GroupFields = ["GroupId", "Key", "CoordinatorKeys", "Groups", "GroupsNames"];
    private static readonly HashSet<string> PartitionFields = ["PartitionIndex", "Partition", "Index", "PartitionIndexes", "Partitions"];
    private static readonly HashSet<string> TimeoutFields = ["TimeoutMs", "MaxWaitMs", "RebalanceTimeoutMs", "SessionTimeoutMs"];

    public static void Apply(MessageDescriptor descriptor, object message, Random random)
    {
        var structs = descriptor.Structs.ToDictionary(s => s.Name);
        Visit(descriptor.Root, structs, message, random);
    }

    private static void Visit(StructDescriptor s, Dictionary<string, StructDescriptor> structs, object instance, Random random)
    {
        foreach (var field in s.Fields)
        {
            var property = s.ClrType.GetProperty(field.Name)!;
            object? value = property.GetValue(instance);
            if (value is null) continue;
            if (structs.TryGetValue(field.ElementType, out var child))
            {
                if (value is IList elements) foreach (object element in elements) Visit(child, structs, element, random);
                else Visit(child, structs, value, random);
                continue;
            }
            if (random.Next(2) == 0) continue;
            switch (field.ElementType)
            {
                case "string" when TopicFields.Contains(field.Name):
                    Replace(property, instance, value, () => Topics[random.Next(Topics.Length)]);
                    break;
                case "string" when GroupFields.Contains(field.Name):
                    Replace(property, instance, value, () => Groups[random.Next(Groups.Length)]);
                    break;
                case "int32" when PartitionFields.Contains(field.Name):
                    Replace(property, instance, value, () => random.Next(2));
                    break;
                case "int32" when TimeoutFields.Contains(field.Name):
                    Replace(property, instance, value, () => random.Next(5_000));
                    break;
            }
        }
    }

    private static void Replace<T>(System.Reflection.PropertyInfo property, object instance, object value, Func<T> pick)
    {
        if (value is IList list)
        {
            for (int i = 0; i < list.Count; i++) list[i] = pick();
        }
        else
        {
            property.SetValue(instance, pick());
        }
    }
}
