using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.ControlPlane;

/// <summary>
/// Sends admin requests a broker receives on to the active controller (KIP-590's forwarding, as Kafka 4 brokers do),
/// so a client may create, delete and alter through any broker. A node whose own controller is active, a single
/// node, and a controller-only node handle them in place (<see cref="ShouldForward"/> is false there). When no
/// controller answers, the caller handles the request in place, where the inactive controller refuses it with
/// NOT_CONTROLLER, which clients retry.
/// </summary>
public sealed class ControllerForwarder
{
    private readonly QuorumController _controller;
    private readonly ControllerChannel? _channel;
    private readonly ILogger<ControllerForwarder> _logger;

    /// <param name="channel">The way to the active controller of a cluster this broker is one of; null on a node that never forwards (its controller is the only one, or it is a controller).</param>
    public ControllerForwarder(QuorumController controller, ControllerChannel? channel = null, ILogger<ControllerForwarder>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(controller);
        _controller = controller;
        _channel = channel;
        _logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger<ControllerForwarder>.Instance;
    }

    /// <summary>Whether this node sends what needs the controller on: a broker whose own controller is not the active one.</summary>
    public bool ForwardsToController => _channel is not null && !_controller.IsActive;

    /// <summary>
    /// Whether <paramref name="context"/>'s request is sent on rather than handled here. Never one that came in on a
    /// controller listener: that is another node's forwarding (or a tool asking controllers), and passing it on again
    /// could go round between nodes with different views of the leader; it is answered here (NOT_CONTROLLER when
    /// this controller is not active), as Kafka's controllers answer.
    /// </summary>
    public bool ShouldForward(Dispatch.RequestContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ForwardsToController && !context.OnControllerListener;
    }

    /// <summary>
    /// The active controller's answer to <paramref name="request"/>, or null when it could not be reached (the caller
    /// then answers in place). An answer of NOT_CONTROLLER (the controller moved meanwhile) is passed back as it is:
    /// clients retry it.
    /// </summary>
    public async Task<TResponse?> TryForwardAsync<TRequest, TResponse>(TRequest request, short version, CancellationToken cancellationToken)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : class, IProtocolMessage<TResponse>
    {
        if (_channel is null) return null;
        try
        {
            return await _channel.SendAsync<TRequest, TResponse>(request, version, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or TimeoutException or ObjectDisposedException or Net.BrokerApiUnsupportedException)
        {
            _logger.LogWarning("Forwarding {Api} to the controller failed: {Error}", (ApiKey)TRequest.Descriptor.ApiKey, e.Message);
            return null;
        }
    }

    /// <summary>
    /// Creates topics through whichever controller is active: the local one, or the active one over the wire (the
    /// broker's own creations: auto-created topics and <c>__consumer_offsets</c>).
    /// </summary>
    public async Task<IReadOnlyList<CreateTopicOutcome>> CreateTopicsAsync(IReadOnlyList<NewTopic> topics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(topics);
        if (!ForwardsToController)
            return await _controller.CreateTopicsAsync(topics, validateOnly: false, cancellationToken).ConfigureAwait(false);
        var request = new CreateTopicsRequest { TimeoutMs = (int)ControllerChannel.RequestTimeout.TotalMilliseconds };
        foreach (var topic in topics)
        {
            request.Topics.Add(new CreateTopicsRequest.CreatableTopic
            {
                Name = topic.Name,
                NumPartitions = topic.NumPartitions,
                ReplicationFactor = topic.ReplicationFactor,
                Assignments = [.. topic.Assignments.Select(a => new CreateTopicsRequest.CreatableReplicaAssignment { PartitionIndex = a.Partition, BrokerIds = [.. a.Brokers] })],
                Configs = [.. topic.Configs.Select(c => new CreateTopicsRequest.CreatableTopicConfig { Name = c.Key, Value = c.Value })],
            });
        }
        var response = await TryForwardAsync<CreateTopicsRequest, CreateTopicsResponse>(request, CreateTopicsRequest.HighestVersion, cancellationToken).ConfigureAwait(false)
            ?? throw new ControllerNotActiveException("no controller could be reached to create the topics");
        var byName = response.Topics.ToDictionary(t => t.Name, StringComparer.Ordinal);
        return [.. topics.Select(t => byName.TryGetValue(t.Name, out var result)
            ? new CreateTopicOutcome(t.Name, (ErrorCode)result.ErrorCode, result.ErrorMessage, result.TopicId, result.NumPartitions, result.ReplicationFactor)
            : CreateTopicOutcome.Failed(t.Name, ErrorCode.UnknownServerError, "the controller did not answer for this topic"))];
    }
}
