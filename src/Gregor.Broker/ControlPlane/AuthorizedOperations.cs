namespace Gregor.Broker.ControlPlane;

/// <summary>
/// Authorized-operation bit fields as Kafka reports them (bit n set = ACL operation n allowed). Gregor has
/// no authorizer yet, so, as Kafka without one, every operation of the resource type is allowed.
/// </summary>
internal static class AuthorizedOperations
{
    /// <summary>The "not requested" value of the authorized-operations fields.</summary>
    public const int NotRequested = int.MinValue;

    // READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11.
    public const int AllTopicOperations = (1 << 3) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11);

    // CREATE 5, ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12.
    public const int AllClusterOperations = (1 << 5) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11) | (1 << 12);
}
