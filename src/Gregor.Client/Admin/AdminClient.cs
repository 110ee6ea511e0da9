using Gregor.Client.Metadata;
using Gregor.Client.Network;
using Gregor.Net;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using WireErrorCode = Gregor.Protocol.ErrorCode;

namespace Gregor.Client.Admin;

/// <summary>
/// The admin client. Topic and config changes go to the controller metadata names (any broker
/// when none is named; a KRaft broker forwards them), broker configs to that broker, ListOffsets
/// to each partition's leader, group operations to each group's coordinator (<see cref="GroupCoordinatorRouter"/>). Per-item broker errors become the operation's exception, each
/// item's outcome inside, as Confluent.Kafka reports them.
/// </summary>
internal sealed partial class AdminClient : IAdminClient
{
    private readonly ConnectionSettings _settings;
    private readonly ConnectionPool _pool;
    private readonly MetadataManager _metadata;
    private readonly GroupCoordinatorRouter _coordinators;
    private readonly TimeSpan _retryBackoff;
    private readonly IReadOnlyList<BrokerEndpoint> _bootstrap;

    public AdminClient(ConnectionSettings settings, IReadOnlyList<BrokerEndpoint> bootstrap, TimeSpan metadataMaxAge, TimeSpan retryBackoff)
    {
        _settings = settings;
        _bootstrap = bootstrap;
        _pool = new ConnectionPool(settings);
        _metadata = new MetadataManager(bootstrap, _pool, metadataMaxAge, retryBackoff, allowAutoTopicCreation: false);
        _retryBackoff = retryBackoff;
        _coordinators = new GroupCoordinatorRouter(_metadata, _pool, retryBackoff);
    }

    public string Name => _settings.ClientId;

    private int TimeoutMs(AdminOptions? options) =>
        (int)Math.Min(int.MaxValue, (options?.OperationTimeout ?? options?.RequestTimeout ?? _settings.RequestTimeout).TotalMilliseconds);

    /// <summary>Runs one request-response exchange on a suitable broker within the request timeout, as a client error on failure.</summary>
    private async Task<TResponse> ExchangeAsync<TRequest, TResponse>(AdminOptions? options, int? node, Func<short, TRequest> build)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : IProtocolMessage<TResponse>
    {
        var timeout = options?.RequestTimeout ?? _settings.RequestTimeout;
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            var connection = node is { } id
                ? await ConnectionToAsync(id, cancel.Token).ConfigureAwait(false)
                : await ControllerConnectionAsync(cancel.Token).ConfigureAwait(false);
            short version = connection.Versions.Highest((ApiKey)TRequest.Descriptor.ApiKey);
            return await connection.SendAsync<TRequest, TResponse>(build(version), version, cancel.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (AsKafkaException(e, cancel, timeout) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The client error for a failure inside the machinery (timeout, transport, broker error), or null for other exceptions.</summary>
    private static KafkaException? AsKafkaException(Exception e, CancellationTokenSource deadline, TimeSpan timeout) => e switch
    {
        OperationCanceledException when deadline.IsCancellationRequested =>
            new KafkaException(new Error(ErrorCode.Local_TimedOut, $"no answer within {timeout.TotalMilliseconds} ms")),
        BrokerConnectionException c =>
            new KafkaException(new Error(c.Code == WireErrorCode.RequestTimedOut ? ErrorCode.Local_TimedOut : ErrorCode.Local_Transport, c.Message), c),
        KafkaErrorException k =>
            new KafkaException(new Error(k.Code == WireErrorCode.NetworkException ? ErrorCode.Local_AllBrokersDown : k.Code.ToClientErrorCode(), k.Message), k),
        BrokerApiUnsupportedException u => new KafkaException(new Error(ErrorCode.Local_UnsupportedFeature, u.Message), u),
        _ => null,
    };

    private async Task<BrokerConnection> ControllerConnectionAsync(CancellationToken cancellationToken)
    {
        var current = _metadata.Current;
        if (current.Brokers.Count == 0) current = await _metadata.FetchAsync([], false, cancellationToken).ConfigureAwait(false);
        if (current.ControllerId >= 0 && current.Brokers.TryGetValue(current.ControllerId, out var controller))
            return await _pool.GetAsync(controller, cancellationToken).ConfigureAwait(false);
        return await _metadata.AnyConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A request sent straight to the bootstrap endpoints in turn; the first answer counts.</summary>
    private async Task<TResponse> FirstBootstrapAnswerAsync<TRequest, TResponse>(AdminOptions? options, Func<short, TRequest> build)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : IProtocolMessage<TResponse>
    {
        var timeout = options?.RequestTimeout ?? _settings.RequestTimeout;
        using var cancel = new CancellationTokenSource(timeout);
        Exception? failure = null;
        foreach (var endpoint in _bootstrap)
        {
            try
            {
                var connection = await _pool.GetAsync(endpoint, cancel.Token).ConfigureAwait(false);
                short version = connection.Versions.Highest((ApiKey)TRequest.Descriptor.ApiKey);
                return await connection.SendAsync<TRequest, TResponse>(build(version), version, cancel.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (AsKafkaException(e, cancel, timeout) is { } translated)
            {
                failure = translated;
            }
        }
        throw failure ?? new KafkaException(new Error(ErrorCode.Local_AllBrokersDown, "no bootstrap endpoint answered"));
    }

    /// <summary>DescribeQuorum sent straight to each bootstrap endpoint until one leads the quorum (the others answer NOT_LEADER_OR_FOLLOWER).</summary>
    private async Task<DescribeQuorumResponse> FromControllersAsync(AdminOptions? options, Func<short, DescribeQuorumRequest> build)
    {
        var timeout = options?.RequestTimeout ?? _settings.RequestTimeout;
        using var cancel = new CancellationTokenSource(timeout);
        DescribeQuorumResponse? last = null;
        Exception? failure = null;
        foreach (var endpoint in _bootstrap)
        {
            try
            {
                var connection = await _pool.GetAsync(endpoint, cancel.Token).ConfigureAwait(false);
                short version = connection.Versions.Highest(ApiKey.DescribeQuorum);
                last = await connection.SendAsync<DescribeQuorumRequest, DescribeQuorumResponse>(build(version), version, cancel.Token).ConfigureAwait(false);
                bool leads = last.ErrorCode == 0 && last.Topics.SelectMany(t => t.Partitions).Any(p => p.ErrorCode == 0);
                if (leads) return last;
            }
            catch (Exception e) when (AsKafkaException(e, cancel, timeout) is { } translated)
            {
                failure = translated;
            }
        }
        return last ?? throw failure ?? new KafkaException(new Error(ErrorCode.Local_AllBrokersDown, "no bootstrap controller answered DescribeQuorum"));
    }

    private async Task<BrokerConnection> ConnectionToAsync(int node, CancellationToken cancellationToken)
    {
        if (!_metadata.Current.Brokers.ContainsKey(node)) await _metadata.FetchAsync([], false, cancellationToken).ConfigureAwait(false);
        return await _metadata.ConnectionToNodeAsync(node, cancellationToken).ConfigureAwait(false);
    }

    private static Error ToError(short code, string? message) =>
        code == 0 ? new Error(ErrorCode.NoError) : new Error(((WireErrorCode)code).ToClientErrorCode(), message ?? ((WireErrorCode)code).KafkaName());

    public async Task CreateTopicsAsync(IEnumerable<TopicSpecification> topics, CreateTopicsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var list = topics.ToList();
        var response = await ExchangeAsync<CreateTopicsRequest, CreateTopicsResponse>(options, null, _ =>
        {
            var request = new CreateTopicsRequest { TimeoutMs = TimeoutMs(options), ValidateOnly = options?.ValidateOnly ?? false };
            foreach (var t in list)
            {
                var topic = new CreateTopicsRequest.CreatableTopic { Name = t.Name, NumPartitions = t.NumPartitions, ReplicationFactor = t.ReplicationFactor };
                foreach (var (partition, brokers) in t.ReplicasAssignments ?? [])
                    topic.Assignments.Add(new CreateTopicsRequest.CreatableReplicaAssignment { PartitionIndex = partition, BrokerIds = [.. brokers] });
                foreach (var (name, value) in t.Configs ?? [])
                    topic.Configs.Add(new CreateTopicsRequest.CreatableTopicConfig { Name = name, Value = value });
                request.Topics.Add(topic);
            }
            return request;
        }).ConfigureAwait(false);
        var reports = response.Topics.Select(t => new CreateTopicReport { Topic = t.Name, Error = ToError(t.ErrorCode, t.ErrorMessage) }).ToList();
        if (reports.Any(r => r.Error.IsError)) throw new CreateTopicsException(reports);
        await _metadata.FetchAsync(list.Select(t => t.Name).ToList(), false, CancellationToken.None).ConfigureAwait(false);
    }

    public async Task DeleteTopicsAsync(IEnumerable<string> topics, DeleteTopicsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topics);
        var names = topics.ToList();
        var response = await ExchangeAsync<DeleteTopicsRequest, DeleteTopicsResponse>(options, null, version =>
        {
            var request = new DeleteTopicsRequest { TimeoutMs = TimeoutMs(options) };
            if (version >= 6) request.Topics = [.. names.Select(n => new DeleteTopicsRequest.DeleteTopicState { Name = n })];
            else request.TopicNames = [.. names];
            return request;
        }).ConfigureAwait(false);
        var reports = response.Responses.Select(r => new DeleteTopicReport { Topic = r.Name ?? "", Error = ToError(r.ErrorCode, r.ErrorMessage) }).ToList();
        if (reports.Any(r => r.Error.IsError)) throw new DeleteTopicsException(reports);
    }

    public async Task CreatePartitionsAsync(IEnumerable<PartitionsSpecification> partitionsSpecifications, CreatePartitionsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(partitionsSpecifications);
        var list = partitionsSpecifications.ToList();
        var response = await ExchangeAsync<CreatePartitionsRequest, CreatePartitionsResponse>(options, null, _ => new CreatePartitionsRequest
        {
            TimeoutMs = TimeoutMs(options),
            ValidateOnly = options?.ValidateOnly ?? false,
            Topics = [.. list.Select(s => new CreatePartitionsRequest.CreatePartitionsTopic
            {
                Name = s.Topic,
                Count = s.IncreaseTo,
                Assignments = s.ReplicaAssignments is null ? null : [.. s.ReplicaAssignments.Select(a => new CreatePartitionsRequest.CreatePartitionsAssignment { BrokerIds = [.. a] })],
            })],
        }).ConfigureAwait(false);
        var reports = response.Results.Select(r => new CreatePartitionsReport { Topic = r.Name, Error = ToError(r.ErrorCode, r.ErrorMessage) }).ToList();
        if (reports.Any(r => r.Error.IsError)) throw new CreatePartitionsException(reports);
    }

    public async Task<List<DescribeConfigsResult>> DescribeConfigsAsync(IEnumerable<ConfigResource> resources, DescribeConfigsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var reports = new List<DescribeConfigsReport>();
        // A broker's configs are answered by that broker; everything else by any.
        foreach (var group in resources.GroupBy(r => r.Type == ResourceType.Broker && int.TryParse(r.Name, out int id) ? id : (int?)null))
        {
            var response = await ExchangeAsync<DescribeConfigsRequest, DescribeConfigsResponse>(options, group.Key, _ => new DescribeConfigsRequest
            {
                IncludeSynonyms = true,
                Resources = [.. group.Select(r => new DescribeConfigsRequest.DescribeConfigsResource { ResourceType = (sbyte)r.Type, ResourceName = r.Name, ConfigurationKeys = null })],
            }).ConfigureAwait(false);
            foreach (var result in response.Results)
            {
                var report = new DescribeConfigsReport
                {
                    ConfigResource = new ConfigResource { Type = (ResourceType)result.ResourceType, Name = result.ResourceName },
                    Error = ToError(result.ErrorCode, result.ErrorMessage),
                };
                foreach (var c in result.Configs)
                {
                    var source = c.ConfigSource >= 0 ? (ConfigSource)c.ConfigSource : c.IsDefault ? ConfigSource.DefaultConfig : ConfigSource.UnknownConfig;
                    report.Entries[c.Name] = new ConfigEntryResult
                    {
                        Name = c.Name,
                        Value = c.Value,
                        IsReadOnly = c.ReadOnly,
                        IsSensitive = c.IsSensitive,
                        Source = source,
                        IsDefault = source == ConfigSource.DefaultConfig,
                        Synonyms = [.. c.Synonyms.Select(s => new ConfigSynonym { Name = s.Name, Value = s.Value, Source = (ConfigSource)s.Source })],
                    };
                }
                reports.Add(report);
            }
        }
        if (reports.Any(r => r.Error.IsError)) throw new DescribeConfigsException(reports);
        return [.. reports.Select(r => new DescribeConfigsResult { ConfigResource = r.ConfigResource, Entries = r.Entries })];
    }

    public async Task AlterConfigsAsync(Dictionary<ConfigResource, List<ConfigEntry>> configs, AlterConfigsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(configs);
        var response = await ExchangeAsync<AlterConfigsRequest, AlterConfigsResponse>(options, null, _ => new AlterConfigsRequest
        {
            ValidateOnly = options?.ValidateOnly ?? false,
            Resources = [.. configs.Select(kv => new AlterConfigsRequest.AlterConfigsResource
            {
                ResourceType = (sbyte)kv.Key.Type,
                ResourceName = kv.Key.Name,
                Configs = [.. kv.Value.Select(e => new AlterConfigsRequest.AlterableConfig { Name = e.Name, Value = e.Value })],
            })],
        }).ConfigureAwait(false);
        var reports = response.Responses.Select(r => new AlterConfigsReport
        {
            ConfigResource = new ConfigResource { Type = (ResourceType)r.ResourceType, Name = r.ResourceName },
            Error = ToError(r.ErrorCode, r.ErrorMessage),
        }).ToList();
        if (reports.Any(r => r.Error.IsError)) throw new AlterConfigsException(reports);
    }

    public async Task<List<IncrementalAlterConfigsResult>> IncrementalAlterConfigsAsync(Dictionary<ConfigResource, List<ConfigEntry>> configs, IncrementalAlterConfigsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(configs);
        var response = await ExchangeAsync<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse>(options, null, _ => new IncrementalAlterConfigsRequest
        {
            ValidateOnly = options?.ValidateOnly ?? false,
            Resources = [.. configs.Select(kv => new IncrementalAlterConfigsRequest.AlterConfigsResource
            {
                ResourceType = (sbyte)kv.Key.Type,
                ResourceName = kv.Key.Name,
                Configs = [.. kv.Value.Select(e => new IncrementalAlterConfigsRequest.AlterableConfig { Name = e.Name, ConfigOperation = (sbyte)e.IncrementalOperation, Value = e.Value })],
            })],
        }).ConfigureAwait(false);
        var reports = response.Responses.Select(r => new IncrementalAlterConfigsReport
        {
            ConfigResource = new ConfigResource { Type = (ResourceType)r.ResourceType, Name = r.ResourceName },
            Error = ToError(r.ErrorCode, r.ErrorMessage),
        }).ToList();
        if (reports.Any(r => r.Error.IsError)) throw new IncrementalAlterConfigsException(reports);
        return [.. reports.Select(r => new IncrementalAlterConfigsResult { ConfigResource = r.ConfigResource })];
    }

    public async Task<DescribeClusterResult> DescribeClusterAsync(DescribeClusterOptions? options = null)
    {
        bool askFenced = options?.IncludeFencedBrokers ?? false;
        short answeredIn = -1;
        DescribeClusterResponse response;
        try
        {
            response = await ExchangeAsync<DescribeClusterRequest, DescribeClusterResponse>(options, null, version =>
            {
                answeredIn = version;
                // Not on the wire below v2: a broker that speaks only v0-1 lists the unfenced brokers alone.
                return new DescribeClusterRequest { IncludeFencedBrokers = askFenced };
            }).ConfigureAwait(false);
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_UnsupportedFeature)
        {
            // Bootstrapped from controllers, which serve no Metadata but answer DescribeCluster themselves (KIP-919): asked
            // for the controllers (endpoint type 2), as a controller describes only those, with the active one as controller.
            answeredIn = -1;
            response = await FirstBootstrapAnswerAsync<DescribeClusterRequest, DescribeClusterResponse>(options, _ => new DescribeClusterRequest { EndpointType = 2 }).ConfigureAwait(false);
        }
        if (response.ErrorCode != 0) throw new KafkaException(ToError(response.ErrorCode, response.ErrorMessage));
        var nodes = response.Brokers.Select(b => new Node { Id = b.BrokerId, Host = b.Host, Port = b.Port, Rack = b.Rack, IsFenced = b.IsFenced }).ToList();
        return new DescribeClusterResult
        {
            ClusterId = response.ClusterId,
            Controller = nodes.FirstOrDefault(n => n.Id == response.ControllerId),
            Nodes = nodes,
            IncludesFencedBrokers = askFenced && answeredIn >= 2 && response.EndpointType == 1,
        };
    }

    private const string MetadataTopic = "__cluster_metadata";

    public async Task<QuorumInfo> DescribeMetadataQuorumAsync(DescribeMetadataQuorumOptions? options = null)
    {
        static DescribeQuorumRequest Build(short version) => new()
        {
            Topics = [new DescribeQuorumRequest.TopicData { TopicName = MetadataTopic, Partitions = [new DescribeQuorumRequest.PartitionData { PartitionIndex = 0 }] }],
        };
        DescribeQuorumResponse response;
        try
        {
            response = await ExchangeAsync<DescribeQuorumRequest, DescribeQuorumResponse>(options, null, Build).ConfigureAwait(false);
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_UnsupportedFeature)
        {
            // Bootstrapped from controllers (kafka-metadata-quorum's --bootstrap-controller), which serve no Metadata:
            // ask each in turn; the one that leads the quorum answers.
            response = await FromControllersAsync(options, Build).ConfigureAwait(false);
        }
        if (response.ErrorCode != 0) throw new KafkaException(ToError(response.ErrorCode, response.ErrorMessage));
        var partition = response.Topics.Where(t => t.TopicName == MetadataTopic).SelectMany(t => t.Partitions).FirstOrDefault(p => p.PartitionIndex == 0)
            ?? throw new KafkaException(new Error(ErrorCode.Local_BadMsg, $"the DescribeQuorum answer has no {MetadataTopic} partition 0"));
        if (partition.ErrorCode != 0) throw new KafkaException(ToError(partition.ErrorCode, partition.ErrorMessage));
        static long? Known(long timestamp) => timestamp >= 0 ? timestamp : null;
        static QuorumReplicaState Replica(DescribeQuorumResponse.ReplicaState r) => new()
        {
            ReplicaId = r.ReplicaId,
            LogEndOffset = r.LogEndOffset,
            LastFetchTimestamp = Known(r.LastFetchTimestamp),
            LastCaughtUpTimestamp = Known(r.LastCaughtUpTimestamp),
        };
        return new QuorumInfo
        {
            LeaderId = partition.LeaderId,
            LeaderEpoch = partition.LeaderEpoch,
            HighWatermark = partition.HighWatermark,
            Voters = [.. partition.CurrentVoters.Select(Replica)],
            Observers = [.. partition.Observers.Select(Replica)],
            Nodes = response.Nodes.DistinctBy(n => n.NodeId).ToDictionary(n => n.NodeId, n => new QuorumNode
            {
                NodeId = n.NodeId,
                Endpoints = [.. n.Listeners.Select(l => new QuorumEndpoint(l.Name, l.Host, l.Port))],
            }),
        };
    }

    public Metadata GetMetadata(TimeSpan timeout) => GetMetadataAsync(null, timeout).GetAwaiter().GetResult();

    public Metadata GetMetadata(string topic, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        return GetMetadataAsync(topic, timeout).GetAwaiter().GetResult();
    }

    private async Task<Metadata> GetMetadataAsync(string? topic, TimeSpan timeout)
    {
        var response = await ExchangeAsync<MetadataRequest, MetadataResponse>(new AdminOptions { RequestTimeout = timeout }, null, version => new MetadataRequest
        {
            AllowAutoTopicCreation = false,
            Topics = topic is not null ? [new MetadataRequest.MetadataRequestTopic { Name = topic }] : version >= 1 ? null : [],
        }).ConfigureAwait(false);
        return new Metadata
        {
            Brokers = [.. response.Brokers.Select(b => new BrokerMetadata { BrokerId = b.NodeId, Host = b.Host, Port = b.Port })],
            Topics = [.. response.Topics.Select(t => new TopicMetadata
            {
                Topic = t.Name ?? "",
                Error = ToError(t.ErrorCode, null),
                IsInternal = t.IsInternal,
                Partitions = [.. t.Partitions.OrderBy(p => p.PartitionIndex).Select(p => new PartitionMetadata
                {
                    PartitionId = p.PartitionIndex,
                    Leader = p.LeaderId,
                    Replicas = [.. p.ReplicaNodes],
                    InSyncReplicas = [.. p.IsrNodes],
                    Error = ToError(p.ErrorCode, null),
                })],
            })],
            OriginatingBrokerId = response.ControllerId,
        };
    }

    public async Task<ListOffsetsResult> ListOffsetsAsync(IEnumerable<TopicPartitionOffsetSpec> topicPartitionOffsets, ListOffsetsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(topicPartitionOffsets);
        var specs = topicPartitionOffsets.ToList();
        var topics = specs.Select(s => s.TopicPartition.Topic).Distinct().ToList();
        using (var cancel = new CancellationTokenSource(options?.RequestTimeout ?? _settings.RequestTimeout))
        {
            try { await _metadata.FetchAsync(topics, false, cancel.Token).ConfigureAwait(false); }
            catch (Exception e) when (e is BrokerConnectionException or KafkaErrorException or OperationCanceledException)
            {
                throw new KafkaException(new Error(ErrorCode.Local_Transport, "metadata for ListOffsets: " + e.Message), e);
            }
        }
        var results = new List<ListOffsetsResultInfo>();
        var byLeader = new Dictionary<int, List<TopicPartitionOffsetSpec>>();
        var metadata = _metadata.Current;
        foreach (var spec in specs)
        {
            var tp = spec.TopicPartition;
            if (metadata.TryGetLeader(tp.Topic, tp.Partition, out int leader, out _))
            {
                if (!byLeader.TryGetValue(leader, out var list)) byLeader[leader] = list = [];
                list.Add(spec);
                continue;
            }
            var error = metadata.Topics.TryGetValue(tp.Topic, out var t) && t.Error != WireErrorCode.None ? t.Error
                : t is not null && (tp.Partition < 0 || tp.Partition >= t.Partitions.Length) ? WireErrorCode.UnknownTopicOrPartition
                : t is null ? WireErrorCode.UnknownTopicOrPartition : WireErrorCode.LeaderNotAvailable;
            results.Add(Info(tp.Topic, tp.Partition, Offset.Unset, -1, ToError((short)error, null)));
        }
        foreach (var (leader, list) in byLeader)
        {
            var response = await ExchangeAsync<ListOffsetsRequest, ListOffsetsResponse>(options, leader, _ => new ListOffsetsRequest
            {
                ReplicaId = -1,
                IsolationLevel = (sbyte)(options?.IsolationLevel ?? IsolationLevel.ReadUncommitted),
                TimeoutMs = TimeoutMs(options),
                Topics = [.. list.GroupBy(s => s.TopicPartition.Topic).Select(g => new ListOffsetsRequest.ListOffsetsTopic
                {
                    Name = g.Key,
                    Partitions = [.. g.Select(s => new ListOffsetsRequest.ListOffsetsPartition { PartitionIndex = s.TopicPartition.Partition, Timestamp = s.OffsetSpec.WireTimestamp })],
                })],
            }).ConfigureAwait(false);
            foreach (var topic in response.Topics)
                foreach (var p in topic.Partitions)
                    results.Add(Info(topic.Name, p.PartitionIndex, p.ErrorCode == 0 ? new Offset(p.Offset) : Offset.Unset, p.Timestamp, ToError(p.ErrorCode, null)));
        }
        if (results.Any(r => r.TopicPartitionOffsetError.Error.IsError)) throw new ListOffsetsException(results);
        return new ListOffsetsResult { ResultInfos = results };
    }

    private static ListOffsetsResultInfo Info(string topic, int partition, Offset offset, long timestamp, Error error) =>
        new() { TopicPartitionOffsetError = new TopicPartitionOffsetError(topic, partition, offset, error), Timestamp = timestamp };

    public void Dispose()
    {
        _metadata.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _pool.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
