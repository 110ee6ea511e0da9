"""The Kafka APIs the capture server understands: names, the version ranges it advertises, and
the request/response layouts of the ones it answers, in kafkawire's schema notation.
"""

from kafkawire import Message

# API key -> name, for every key (file names of captures of unanswered requests use them too).
API_NAMES = {
    0: "Produce", 1: "Fetch", 2: "ListOffsets", 3: "Metadata", 4: "LeaderAndIsr",
    5: "StopReplica", 6: "UpdateMetadata", 7: "ControlledShutdown", 8: "OffsetCommit",
    9: "OffsetFetch", 10: "FindCoordinator", 11: "JoinGroup", 12: "Heartbeat", 13: "LeaveGroup",
    14: "SyncGroup", 15: "DescribeGroups", 16: "ListGroups", 17: "SaslHandshake",
    18: "ApiVersions", 19: "CreateTopics", 20: "DeleteTopics", 21: "DeleteRecords",
    22: "InitProducerId", 23: "OffsetForLeaderEpoch", 24: "AddPartitionsToTxn",
    25: "AddOffsetsToTxn", 26: "EndTxn", 27: "WriteTxnMarkers", 28: "TxnOffsetCommit",
    29: "DescribeAcls", 30: "CreateAcls", 31: "DeleteAcls", 32: "DescribeConfigs",
    33: "AlterConfigs", 34: "AlterReplicaLogDirs", 35: "DescribeLogDirs",
    36: "SaslAuthenticate", 37: "CreatePartitions", 38: "CreateDelegationToken",
    39: "RenewDelegationToken", 40: "ExpireDelegationToken", 41: "DescribeDelegationToken",
    42: "DeleteGroups", 43: "ElectLeaders", 44: "IncrementalAlterConfigs",
    45: "AlterPartitionReassignments", 46: "ListPartitionReassignments", 47: "OffsetDelete",
    48: "DescribeClientQuotas", 49: "AlterClientQuotas", 50: "DescribeUserScramCredentials",
    51: "AlterUserScramCredentials", 55: "DescribeQuorum", 57: "UpdateFeatures",
    60: "DescribeCluster", 61: "DescribeProducers", 64: "UnregisterBroker",
    65: "DescribeTransactions", 66: "ListTransactions", 68: "ConsumerGroupHeartbeat",
    69: "ConsumerGroupDescribe", 71: "GetTelemetrySubscriptions", 72: "PushTelemetry",
    74: "ListClientMetricsResources", 75: "DescribeTopicPartitions",
}

# First flexible request version of every API a client may send (None: never flexible). Used to
# pick the request header version (2 when flexible, else 1) even for APIs the server does not
# answer, so their captures can still be named and their headers read.
FLEXIBLE_FROM = {
    0: 9, 1: 12, 2: 6, 3: 9, 8: 8, 9: 6, 10: 3, 11: 6, 12: 4, 13: 4, 14: 4, 15: 5, 16: 3,
    17: None, 18: 3, 19: 5, 20: 4, 21: 2, 22: 2, 23: 4, 24: 3, 25: 3, 26: 3, 28: 3, 29: 2,
    30: 2, 31: 2, 32: 4, 33: 2, 34: 2, 35: 2, 36: 2, 37: 2, 38: 2, 39: 2, 40: 2, 41: 2,
    42: 2, 43: 2, 44: 1, 45: 0, 46: 0, 47: None, 48: 1, 49: 1, 50: 0, 51: 0, 55: 0, 57: 0,
    60: 0, 61: 0, 64: 0, 65: 0, 66: 0, 68: 0, 69: 0, 71: 0, 72: 0, 74: 0, 75: 0,
}


class Api:
    def __init__(self, key, versions, flexible_from, request, response):
        self.key = key
        self.name = API_NAMES[key]
        self.request = Message(versions, flexible_from, request)
        self.response = Message(versions, flexible_from, response)

    @property
    def min_version(self): return self.request.versions[0]

    @property
    def max_version(self): return self.request.versions[1]


ANSWERED = {}


def api(key, versions, flexible_from, request, response):
    ANSWERED[key] = Api(key, versions, flexible_from, request, response)


api(18, "0-4", 3, """
ClientSoftwareName string v=3+
ClientSoftwareVersion string v=3+
""", """
ErrorCode int16
ApiKeys []ApiVersion
  ApiKey int16
  MinVersion int16
  MaxVersion int16
ThrottleTimeMs int32 v=1+
SupportedFeatures []SupportedFeatureKey v=3+ tag=0
  Name string
  MinVersion int16
  MaxVersion int16
FinalizedFeaturesEpoch int64 v=3+ tag=1
FinalizedFeatures []FinalizedFeatureKey v=3+ tag=2
  Name string
  MaxVersionLevel int16
  MinVersionLevel int16
ZkMigrationReady bool v=3+ tag=3
""")

api(3, "0-12", 9, """
Topics []MetadataRequestTopic null=1+
  TopicId uuid v=10+
  Name string null=10+
AllowAutoTopicCreation bool v=4+
IncludeClusterAuthorizedOperations bool v=8-10
IncludeTopicAuthorizedOperations bool v=8+
""", """
ThrottleTimeMs int32 v=3+
Brokers []Broker
  NodeId int32
  Host string
  Port int32
  Rack string v=1+ null=1+ default=null
ClusterId string v=2+ null=2+ default=null
ControllerId int32 v=1+
Topics []Topic
  ErrorCode int16
  Name string null=12+
  TopicId uuid v=10+
  IsInternal bool v=1+
  Partitions []Partition
    ErrorCode int16
    PartitionIndex int32
    LeaderId int32
    LeaderEpoch int32 v=7+
    ReplicaNodes []int32
    IsrNodes []int32
    OfflineReplicas []int32 v=5+
  TopicAuthorizedOperations int32 v=8+
ClusterAuthorizedOperations int32 v=8-10
""")

api(0, "0-11", 9, """
TransactionalId string v=3+ null=3+ default=null
Acks int16
TimeoutMs int32
TopicData []TopicProduceData
  Name string
  PartitionData []PartitionProduceData
    Index int32
    Records records null=0+
""", """
Responses []TopicProduceResponse
  Name string
  PartitionResponses []PartitionProduceResponse
    Index int32
    ErrorCode int16
    BaseOffset int64
    LogAppendTimeMs int64 v=2+
    LogStartOffset int64 v=5+
    RecordErrors []BatchIndexAndErrorMessage v=8+
      BatchIndex int32
      BatchIndexErrorMessage string null=8+ default=null
    ErrorMessage string v=8+ null=8+ default=null
    CurrentLeader LeaderIdAndEpoch v=10+ tag=0
      LeaderId int32
      LeaderEpoch int32
ThrottleTimeMs int32 v=1+
NodeEndpoints []NodeEndpoint v=10+ tag=0
  NodeId int32
  Host string
  Port int32
  Rack string null=10+ default=null
""")

api(1, "0-17", 12, """
ClusterId string v=12+ null=12+ tag=0 default=null
ReplicaId int32 v=0-14
ReplicaState ReplicaState v=15+ tag=1
  ReplicaId int32
  ReplicaEpoch int64
MaxWaitMs int32
MinBytes int32
MaxBytes int32 v=3+
IsolationLevel int8 v=4+
SessionId int32 v=7+
SessionEpoch int32 v=7+
Topics []FetchTopic
  Topic string v=0-12
  TopicId uuid v=13+
  Partitions []FetchPartition
    Partition int32
    CurrentLeaderEpoch int32 v=9+
    FetchOffset int64
    LastFetchedEpoch int32 v=12+
    LogStartOffset int64 v=5+
    PartitionMaxBytes int32
    ReplicaDirectoryId uuid v=17+ tag=0
ForgottenTopicsData []ForgottenTopic v=7+
  Topic string v=7-12
  TopicId uuid v=13+
  Partitions []int32
RackId string v=11+
""", """
ThrottleTimeMs int32 v=1+
ErrorCode int16 v=7+
SessionId int32 v=7+
Responses []FetchableTopicResponse
  Topic string v=0-12
  TopicId uuid v=13+
  Partitions []PartitionData
    PartitionIndex int32
    ErrorCode int16
    HighWatermark int64
    LastStableOffset int64 v=4+
    LogStartOffset int64 v=5+
    DivergingEpoch EpochEndOffset v=12+ tag=0
      Epoch int32
      EndOffset int64
    CurrentLeader LeaderIdAndEpoch v=12+ tag=1
      LeaderId int32
      LeaderEpoch int32
    SnapshotId SnapshotId v=12+ tag=2
      EndOffset int64
      Epoch int32
    AbortedTransactions []AbortedTransaction v=4+ null=4+
      ProducerId int64
      FirstOffset int64
    PreferredReadReplica int32 v=11+
    Records records null=0+
NodeEndpoints []NodeEndpoint v=16+ tag=0
  NodeId int32
  Host string
  Port int32
  Rack string null=16+ default=null
""")

api(2, "0-10", 6, """
ReplicaId int32
IsolationLevel int8 v=2+
Topics []ListOffsetsTopic
  Name string
  Partitions []ListOffsetsPartition
    PartitionIndex int32
    CurrentLeaderEpoch int32 v=4+
    Timestamp int64
    MaxNumOffsets int32 v=0
TimeoutMs int32 v=10+
""", """
ThrottleTimeMs int32 v=2+
Topics []ListOffsetsTopicResponse
  Name string
  Partitions []ListOffsetsPartitionResponse
    PartitionIndex int32
    ErrorCode int16
    OldStyleOffsets []int64 v=0
    Timestamp int64 v=1+
    Offset int64 v=1+
    LeaderEpoch int32 v=4+
""")

api(10, "0-6", 3, """
Key string v=0-3
KeyType int8 v=1+
CoordinatorKeys []string v=4+
""", """
ThrottleTimeMs int32 v=1+
ErrorCode int16 v=0-3
ErrorMessage string v=1-3 null=1-3 default=null
NodeId int32 v=0-3
Host string v=0-3
Port int32 v=0-3
Coordinators []Coordinator v=4+
  Key string
  NodeId int32
  Host string
  Port int32
  ErrorCode int16
  ErrorMessage string null=4+ default=null
""")

api(22, "0-5", 2, """
TransactionalId string null=0+
TransactionTimeoutMs int32
ProducerId int64 v=3+
ProducerEpoch int16 v=3+
""", """
ThrottleTimeMs int32
ErrorCode int16
ProducerId int64
ProducerEpoch int16
""")

api(19, "0-7", 5, """
Topics []CreatableTopic
  Name string
  NumPartitions int32
  ReplicationFactor int16
  Assignments []CreatableReplicaAssignment
    PartitionIndex int32
    BrokerIds []int32
  Configs []CreatableTopicConfig
    Name string
    Value string null=0+
TimeoutMs int32
ValidateOnly bool v=1+
""", """
ThrottleTimeMs int32 v=2+
Topics []CreatableTopicResult
  Name string
  TopicId uuid v=7+
  ErrorCode int16
  ErrorMessage string v=1+ null=0+ default=null
  TopicConfigErrorCode int16 v=5+ tag=0
  NumPartitions int32 v=5+
  ReplicationFactor int16 v=5+
  Configs []CreatableTopicConfigs v=5+ null=5+
    Name string
    Value string null=5+
    ReadOnly bool
    ConfigSource int8
    IsSensitive bool
""")

api(23, "0-4", 4, """
ReplicaId int32 v=3+
Topics []OffsetForLeaderTopic
  Topic string
  Partitions []OffsetForLeaderPartition
    Partition int32
    CurrentLeaderEpoch int32 v=2+
    LeaderEpoch int32
""", """
ThrottleTimeMs int32 v=2+
Topics []OffsetForLeaderTopicResult
  Topic string
  Partitions []EpochEndOffset
    ErrorCode int16
    Partition int32
    LeaderEpoch int32 v=1+
    EndOffset int64
""")

api(11, "0-9", 6, """
GroupId string
SessionTimeoutMs int32
RebalanceTimeoutMs int32 v=1+
MemberId string
GroupInstanceId string v=5+ null=5+ default=null
ProtocolType string
Protocols []JoinGroupRequestProtocol
  Name string
  Metadata bytes
Reason string v=8+ null=8+ default=null
""", """
ThrottleTimeMs int32 v=2+
ErrorCode int16
GenerationId int32
ProtocolType string v=7+ null=7+ default=null
ProtocolName string null=7+
Leader string
SkipAssignment bool v=9+
MemberId string
Members []JoinGroupResponseMember
  MemberId string
  GroupInstanceId string v=5+ null=5+ default=null
  Metadata bytes
""")

api(14, "0-5", 4, """
GroupId string
GenerationId int32
MemberId string
GroupInstanceId string v=3+ null=3+ default=null
ProtocolType string v=5+ null=5+ default=null
ProtocolName string v=5+ null=5+ default=null
Assignments []SyncGroupRequestAssignment
  MemberId string
  Assignment bytes
""", """
ThrottleTimeMs int32 v=1+
ErrorCode int16
ProtocolType string v=5+ null=5+ default=null
ProtocolName string v=5+ null=5+ default=null
Assignment bytes
""")

api(12, "0-4", 4, """
GroupId string
GenerationId int32
MemberId string
GroupInstanceId string v=3+ null=3+ default=null
""", """
ThrottleTimeMs int32 v=1+
ErrorCode int16
""")

api(13, "0-5", 4, """
GroupId string
MemberId string v=0-2
Members []MemberIdentity v=3+
  MemberId string
  GroupInstanceId string null=3+ default=null
  Reason string v=5+ null=5+ default=null
""", """
ThrottleTimeMs int32 v=1+
ErrorCode int16
Members []MemberResponse v=3+
  MemberId string
  GroupInstanceId string null=3+ default=null
  ErrorCode int16
""")

api(9, "0-9", 6, """
GroupId string v=0-7
Topics []OffsetFetchRequestTopic v=0-7 null=2-7
  Name string
  PartitionIndexes []int32
Groups []OffsetFetchRequestGroup v=8+
  GroupId string
  MemberId string v=9+ null=9+ default=null
  MemberEpoch int32 v=9+
  Topics []OffsetFetchRequestTopics null=8+
    Name string
    PartitionIndexes []int32
RequireStable bool v=7+
""", """
ThrottleTimeMs int32 v=3+
Topics []OffsetFetchResponseTopic v=0-7
  Name string
  Partitions []OffsetFetchResponsePartition
    PartitionIndex int32
    CommittedOffset int64
    CommittedLeaderEpoch int32 v=5-7
    Metadata string null=0-7
    ErrorCode int16
ErrorCode int16 v=2-7
Groups []OffsetFetchResponseGroup v=8+
  GroupId string
  Topics []OffsetFetchResponseTopics
    Name string
    Partitions []OffsetFetchResponsePartitions
      PartitionIndex int32
      CommittedOffset int64
      CommittedLeaderEpoch int32
      Metadata string null=8+
      ErrorCode int16
  ErrorCode int16
""")

api(8, "0-9", 8, """
GroupId string
GenerationIdOrMemberEpoch int32 v=1+
MemberId string v=1+
GroupInstanceId string v=7+ null=7+ default=null
RetentionTimeMs int64 v=2-4
Topics []OffsetCommitRequestTopic
  Name string
  Partitions []OffsetCommitRequestPartition
    PartitionIndex int32
    CommittedOffset int64
    CommittedLeaderEpoch int32 v=6+
    CommitTimestamp int64 v=1
    CommittedMetadata string null=0+
""", """
ThrottleTimeMs int32 v=3+
Topics []OffsetCommitResponseTopic
  Name string
  Partitions []OffsetCommitResponsePartition
    PartitionIndex int32
    ErrorCode int16
""")

# The request header: v1 carries a classic (never compact) nullable client id; v2 adds tagged
# fields. Response header v1 adds tagged fields, except for ApiVersions, always answered with v0.


def request_header_version(api_key, api_version):
    first_flexible = FLEXIBLE_FROM.get(api_key)
    if first_flexible is not None and api_version >= first_flexible:
        return 2
    if api_key == 7 and api_version == 0:
        return 0
    return 1


def response_header_version(api_key, api_version):
    if api_key == 18:
        return 0
    return 1 if request_header_version(api_key, api_version) == 2 else 0
