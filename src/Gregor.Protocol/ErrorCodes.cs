namespace Gregor.Protocol;

/// <summary>Facts about error codes that clients act on.</summary>
public static class ErrorCodes
{
    /// <summary>Whether a client may retry the same request after this error (Kafka's retriable errors).</summary>
    public static bool IsRetriable(this ErrorCode code) => code switch
    {
        ErrorCode.CorruptMessage or
        ErrorCode.UnknownTopicOrPartition or
        ErrorCode.LeaderNotAvailable or
        ErrorCode.NotLeaderOrFollower or
        ErrorCode.RequestTimedOut or
        ErrorCode.ReplicaNotAvailable or
        ErrorCode.NetworkException or
        ErrorCode.CoordinatorLoadInProgress or
        ErrorCode.CoordinatorNotAvailable or
        ErrorCode.NotCoordinator or
        ErrorCode.NotEnoughReplicas or
        ErrorCode.NotEnoughReplicasAfterAppend or
        ErrorCode.NotController or
        ErrorCode.ConcurrentTransactions or
        ErrorCode.KafkaStorageError or
        ErrorCode.FetchSessionIdNotFound or
        ErrorCode.InvalidFetchSessionEpoch or
        ErrorCode.ListenerNotFound or
        ErrorCode.FencedLeaderEpoch or
        ErrorCode.UnknownLeaderEpoch or
        ErrorCode.OffsetNotAvailable or
        ErrorCode.PreferredLeaderNotAvailable or
        ErrorCode.EligibleLeadersNotAvailable or
        ErrorCode.ElectionNotNeeded or
        ErrorCode.UnstableOffsetCommit or
        ErrorCode.ThrottlingQuotaExceeded or
        ErrorCode.UnknownTopicId or
        ErrorCode.InconsistentTopicId or
        ErrorCode.FetchSessionTopicIdError => true,
        _ => false,
    };

    /// <summary>The name Kafka's tools print, e.g. NOT_LEADER_OR_FOLLOWER.</summary>
    public static string KafkaName(this ErrorCode code) => code switch
    {
        ErrorCode.UnknownServerError => "UNKNOWN_SERVER_ERROR",
        ErrorCode.None => "NONE",
        ErrorCode.OffsetOutOfRange => "OFFSET_OUT_OF_RANGE",
        ErrorCode.CorruptMessage => "CORRUPT_MESSAGE",
        ErrorCode.UnknownTopicOrPartition => "UNKNOWN_TOPIC_OR_PARTITION",
        ErrorCode.InvalidFetchSize => "INVALID_FETCH_SIZE",
        ErrorCode.LeaderNotAvailable => "LEADER_NOT_AVAILABLE",
        ErrorCode.NotLeaderOrFollower => "NOT_LEADER_OR_FOLLOWER",
        ErrorCode.RequestTimedOut => "REQUEST_TIMED_OUT",
        ErrorCode.BrokerNotAvailable => "BROKER_NOT_AVAILABLE",
        ErrorCode.ReplicaNotAvailable => "REPLICA_NOT_AVAILABLE",
        ErrorCode.MessageTooLarge => "MESSAGE_TOO_LARGE",
        ErrorCode.StaleControllerEpoch => "STALE_CONTROLLER_EPOCH",
        ErrorCode.OffsetMetadataTooLarge => "OFFSET_METADATA_TOO_LARGE",
        ErrorCode.NetworkException => "NETWORK_EXCEPTION",
        ErrorCode.CoordinatorLoadInProgress => "COORDINATOR_LOAD_IN_PROGRESS",
        ErrorCode.CoordinatorNotAvailable => "COORDINATOR_NOT_AVAILABLE",
        ErrorCode.NotCoordinator => "NOT_COORDINATOR",
        ErrorCode.InvalidTopicException => "INVALID_TOPIC_EXCEPTION",
        ErrorCode.RecordListTooLarge => "RECORD_LIST_TOO_LARGE",
        ErrorCode.NotEnoughReplicas => "NOT_ENOUGH_REPLICAS",
        ErrorCode.NotEnoughReplicasAfterAppend => "NOT_ENOUGH_REPLICAS_AFTER_APPEND",
        ErrorCode.InvalidRequiredAcks => "INVALID_REQUIRED_ACKS",
        ErrorCode.IllegalGeneration => "ILLEGAL_GENERATION",
        ErrorCode.InconsistentGroupProtocol => "INCONSISTENT_GROUP_PROTOCOL",
        ErrorCode.InvalidGroupId => "INVALID_GROUP_ID",
        ErrorCode.UnknownMemberId => "UNKNOWN_MEMBER_ID",
        ErrorCode.InvalidSessionTimeout => "INVALID_SESSION_TIMEOUT",
        ErrorCode.RebalanceInProgress => "REBALANCE_IN_PROGRESS",
        ErrorCode.InvalidCommitOffsetSize => "INVALID_COMMIT_OFFSET_SIZE",
        ErrorCode.TopicAuthorizationFailed => "TOPIC_AUTHORIZATION_FAILED",
        ErrorCode.GroupAuthorizationFailed => "GROUP_AUTHORIZATION_FAILED",
        ErrorCode.ClusterAuthorizationFailed => "CLUSTER_AUTHORIZATION_FAILED",
        ErrorCode.InvalidTimestamp => "INVALID_TIMESTAMP",
        ErrorCode.UnsupportedSaslMechanism => "UNSUPPORTED_SASL_MECHANISM",
        ErrorCode.IllegalSaslState => "ILLEGAL_SASL_STATE",
        ErrorCode.UnsupportedVersion => "UNSUPPORTED_VERSION",
        ErrorCode.TopicAlreadyExists => "TOPIC_ALREADY_EXISTS",
        ErrorCode.InvalidPartitions => "INVALID_PARTITIONS",
        ErrorCode.InvalidReplicationFactor => "INVALID_REPLICATION_FACTOR",
        ErrorCode.InvalidReplicaAssignment => "INVALID_REPLICA_ASSIGNMENT",
        ErrorCode.InvalidConfig => "INVALID_CONFIG",
        ErrorCode.NotController => "NOT_CONTROLLER",
        ErrorCode.InvalidRequest => "INVALID_REQUEST",
        ErrorCode.UnsupportedForMessageFormat => "UNSUPPORTED_FOR_MESSAGE_FORMAT",
        ErrorCode.PolicyViolation => "POLICY_VIOLATION",
        ErrorCode.OutOfOrderSequenceNumber => "OUT_OF_ORDER_SEQUENCE_NUMBER",
        ErrorCode.DuplicateSequenceNumber => "DUPLICATE_SEQUENCE_NUMBER",
        ErrorCode.InvalidProducerEpoch => "INVALID_PRODUCER_EPOCH",
        ErrorCode.InvalidTxnState => "INVALID_TXN_STATE",
        ErrorCode.InvalidProducerIdMapping => "INVALID_PRODUCER_ID_MAPPING",
        ErrorCode.InvalidTransactionTimeout => "INVALID_TRANSACTION_TIMEOUT",
        ErrorCode.ConcurrentTransactions => "CONCURRENT_TRANSACTIONS",
        ErrorCode.TransactionCoordinatorFenced => "TRANSACTION_COORDINATOR_FENCED",
        ErrorCode.TransactionalIdAuthorizationFailed => "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
        ErrorCode.SecurityDisabled => "SECURITY_DISABLED",
        ErrorCode.OperationNotAttempted => "OPERATION_NOT_ATTEMPTED",
        ErrorCode.KafkaStorageError => "KAFKA_STORAGE_ERROR",
        ErrorCode.LogDirNotFound => "LOG_DIR_NOT_FOUND",
        ErrorCode.SaslAuthenticationFailed => "SASL_AUTHENTICATION_FAILED",
        ErrorCode.UnknownProducerId => "UNKNOWN_PRODUCER_ID",
        ErrorCode.ReassignmentInProgress => "REASSIGNMENT_IN_PROGRESS",
        ErrorCode.DelegationTokenAuthDisabled => "DELEGATION_TOKEN_AUTH_DISABLED",
        ErrorCode.DelegationTokenNotFound => "DELEGATION_TOKEN_NOT_FOUND",
        ErrorCode.DelegationTokenOwnerMismatch => "DELEGATION_TOKEN_OWNER_MISMATCH",
        ErrorCode.DelegationTokenRequestNotAllowed => "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED",
        ErrorCode.DelegationTokenAuthorizationFailed => "DELEGATION_TOKEN_AUTHORIZATION_FAILED",
        ErrorCode.DelegationTokenExpired => "DELEGATION_TOKEN_EXPIRED",
        ErrorCode.InvalidPrincipalType => "INVALID_PRINCIPAL_TYPE",
        ErrorCode.NonEmptyGroup => "NON_EMPTY_GROUP",
        ErrorCode.GroupIdNotFound => "GROUP_ID_NOT_FOUND",
        ErrorCode.FetchSessionIdNotFound => "FETCH_SESSION_ID_NOT_FOUND",
        ErrorCode.InvalidFetchSessionEpoch => "INVALID_FETCH_SESSION_EPOCH",
        ErrorCode.ListenerNotFound => "LISTENER_NOT_FOUND",
        ErrorCode.TopicDeletionDisabled => "TOPIC_DELETION_DISABLED",
        ErrorCode.FencedLeaderEpoch => "FENCED_LEADER_EPOCH",
        ErrorCode.UnknownLeaderEpoch => "UNKNOWN_LEADER_EPOCH",
        ErrorCode.UnsupportedCompressionType => "UNSUPPORTED_COMPRESSION_TYPE",
        ErrorCode.StaleBrokerEpoch => "STALE_BROKER_EPOCH",
        ErrorCode.OffsetNotAvailable => "OFFSET_NOT_AVAILABLE",
        ErrorCode.MemberIdRequired => "MEMBER_ID_REQUIRED",
        ErrorCode.PreferredLeaderNotAvailable => "PREFERRED_LEADER_NOT_AVAILABLE",
        ErrorCode.GroupMaxSizeReached => "GROUP_MAX_SIZE_REACHED",
        ErrorCode.FencedInstanceId => "FENCED_INSTANCE_ID",
        ErrorCode.EligibleLeadersNotAvailable => "ELIGIBLE_LEADERS_NOT_AVAILABLE",
        ErrorCode.ElectionNotNeeded => "ELECTION_NOT_NEEDED",
        ErrorCode.NoReassignmentInProgress => "NO_REASSIGNMENT_IN_PROGRESS",
        ErrorCode.GroupSubscribedToTopic => "GROUP_SUBSCRIBED_TO_TOPIC",
        ErrorCode.InvalidRecord => "INVALID_RECORD",
        ErrorCode.UnstableOffsetCommit => "UNSTABLE_OFFSET_COMMIT",
        ErrorCode.ThrottlingQuotaExceeded => "THROTTLING_QUOTA_EXCEEDED",
        ErrorCode.ProducerFenced => "PRODUCER_FENCED",
        ErrorCode.ResourceNotFound => "RESOURCE_NOT_FOUND",
        ErrorCode.DuplicateResource => "DUPLICATE_RESOURCE",
        ErrorCode.UnacceptableCredential => "UNACCEPTABLE_CREDENTIAL",
        ErrorCode.InconsistentVoterSet => "INCONSISTENT_VOTER_SET",
        ErrorCode.InvalidUpdateVersion => "INVALID_UPDATE_VERSION",
        ErrorCode.FeatureUpdateFailed => "FEATURE_UPDATE_FAILED",
        ErrorCode.PrincipalDeserializationFailure => "PRINCIPAL_DESERIALIZATION_FAILURE",
        ErrorCode.SnapshotNotFound => "SNAPSHOT_NOT_FOUND",
        ErrorCode.PositionOutOfRange => "POSITION_OUT_OF_RANGE",
        ErrorCode.UnknownTopicId => "UNKNOWN_TOPIC_ID",
        ErrorCode.DuplicateBrokerRegistration => "DUPLICATE_BROKER_REGISTRATION",
        ErrorCode.BrokerIdNotRegistered => "BROKER_ID_NOT_REGISTERED",
        ErrorCode.InconsistentTopicId => "INCONSISTENT_TOPIC_ID",
        ErrorCode.InconsistentClusterId => "INCONSISTENT_CLUSTER_ID",
        ErrorCode.TransactionalIdNotFound => "TRANSACTIONAL_ID_NOT_FOUND",
        ErrorCode.FetchSessionTopicIdError => "FETCH_SESSION_TOPIC_ID_ERROR",
        ErrorCode.IneligibleReplica => "INELIGIBLE_REPLICA",
        ErrorCode.NewLeaderElected => "NEW_LEADER_ELECTED",
        ErrorCode.OffsetMovedToTieredStorage => "OFFSET_MOVED_TO_TIERED_STORAGE",
        ErrorCode.FencedMemberEpoch => "FENCED_MEMBER_EPOCH",
        ErrorCode.UnreleasedInstanceId => "UNRELEASED_INSTANCE_ID",
        ErrorCode.UnsupportedAssignor => "UNSUPPORTED_ASSIGNOR",
        ErrorCode.StaleMemberEpoch => "STALE_MEMBER_EPOCH",
        ErrorCode.MismatchedEndpointType => "MISMATCHED_ENDPOINT_TYPE",
        ErrorCode.UnsupportedEndpointType => "UNSUPPORTED_ENDPOINT_TYPE",
        ErrorCode.UnknownControllerId => "UNKNOWN_CONTROLLER_ID",
        ErrorCode.UnknownSubscriptionId => "UNKNOWN_SUBSCRIPTION_ID",
        ErrorCode.TelemetryTooLarge => "TELEMETRY_TOO_LARGE",
        ErrorCode.InvalidRegistration => "INVALID_REGISTRATION",
        ErrorCode.TransactionAbortable => "TRANSACTION_ABORTABLE",
        _ => "UNKNOWN_ERROR_" + ((short)code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
