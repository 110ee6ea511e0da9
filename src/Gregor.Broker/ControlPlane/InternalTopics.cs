namespace Gregor.Broker.ControlPlane;

/// <summary>The topics Kafka marks internal in Metadata responses.</summary>
internal static class InternalTopics
{
    public static bool IsInternal(string name) => name is "__consumer_offsets" or "__transaction_state";
}
