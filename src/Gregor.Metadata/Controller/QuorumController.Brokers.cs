using Gregor.Metadata.Records;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Controller;

/// <summary>
/// The broker lifecycle, as Kafka's KRaft controller runs it: a broker registers (fenced, with a new broker epoch),
/// heartbeats until it has caught up with the metadata and is unfenced, and is fenced again when it asks, when its
/// session expires, or when its controlled shutdown is done. Fencing a broker moves its leadership to another live
/// ISR member (or to nobody) and takes it out of ISRs; unfencing one lets it lead the leaderless partitions whose
/// ISR it is in. Sessions are kept in memory (<see cref="BrokerSessions"/>); everything else is in the log.
/// </summary>
public sealed partial class QuorumController
{
    /// <summary>Brokers registered in-process through <see cref="RegisterBrokerAsync(int, IReadOnlyList{BrokerEndpointInfo}, string?, CancellationToken)"/>: they live as long as the controller, so their sessions do not expire.</summary>
    private readonly HashSet<int> _inProcessBrokers = [];

    /// <summary>
    /// Registers this node's own broker, in the same process: registered (or re-registered, with a new incarnation,
    /// when its listeners or rack changed or it was left fenced or shutting down) and then unfenced at once, since it
    /// reads the very image the controller publishes. Nothing is written when it is registered unchanged and live.
    /// </summary>
    public async Task RegisterBrokerAsync(int nodeId, IReadOnlyList<BrokerEndpointInfo> endpoints, string? rack, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        if (endpoints.Count == 0) throw new ArgumentException("a broker registers at least one endpoint", nameof(endpoints));
        await RunAsync(commit: true, cancellationToken, op =>
        {
            _inProcessBrokers.Add(nodeId);
            if (op.Image.Brokers.TryGetValue(nodeId, out var existing)
                && existing.Listeners.SequenceEqual(endpoints.Select(ToListener)) && existing.Rack == rack
                && !existing.InControlledShutdown)
                return 0;
            op.Add(RegistrationRecord(nodeId, KafkaUuid.NewRandom(_random), NextBrokerEpoch(op.Image, existing), endpoints, rack, fenced: true, inControlledShutdown: false));
            _sessions.Start(nodeId);
            return 1;
        }).ConfigureAwait(false);
        await RunAsync(commit: true, cancellationToken, op =>
        {
            var registration = op.Image.Brokers[nodeId];
            if (registration.Fenced) Unfence(op, registration);
            _sessions.Touch(nodeId, fenced: false, op.Image.Offset);
            return 0;
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// BrokerRegistration. A registration for another cluster is refused (INCONSISTENT_CLUSTER_ID), as is a new
    /// incarnation while the registered one is live — unfenced with an unexpired session — (DUPLICATE_BROKER_REGISTRATION).
    /// A new incarnation is registered fenced with a new broker epoch; the same incarnation registering again (a retry)
    /// keeps its epoch and state.
    /// </summary>
    public Task<BrokerRegistrationOutcome> RegisterBrokerAsync(BrokerRegistrationRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return RunAsync(commit: true, cancellationToken, op =>
        {
            int id = request.BrokerId;
            if (!string.Equals(request.ClusterId, op.Image.ClusterId, StringComparison.Ordinal))
                return BrokerRegistrationOutcome.Failed(ErrorCode.InconsistentClusterId,
                    $"Broker {id} belongs to cluster '{request.ClusterId}', but this is cluster '{op.Image.ClusterId}'.");
            if (request.Endpoints.Count == 0)
                return BrokerRegistrationOutcome.Failed(ErrorCode.InvalidRegistration, $"Broker {id} registered no listener.");
            op.Image.Brokers.TryGetValue(id, out var existing);
            bool sameIncarnation = existing is not null && existing.IncarnationId == request.IncarnationId;
            if (existing is not null && !sameIncarnation && _sessions.IsValid(id, existing, _settings.BrokerSessionTimeout))
                return BrokerRegistrationOutcome.Failed(ErrorCode.DuplicateBrokerRegistration,
                    $"Broker {id} is already registered by a live process (incarnation {existing.IncarnationId}); a restarted broker is let in once that session expires.");

            // A new incarnation is a new process: whatever the old one led or held in ISRs it no longer does (its
            // session may have run out without the check having fenced it yet), as Kafka's controller treats it. One
            // that did not shut down cleanly (its previous epoch is not the one registered) may have lost records it
            // acknowledged: with eligible leader replicas on, it is no eligible leader any more either (KIP-966).
            if (!sameIncarnation)
            {
                bool clean = existing is not null && request.PreviousBrokerEpoch == existing.Epoch;
                if (!clean && _settings.EligibleLeaderReplicas) DropAfterUncleanShutdown(op, id);
                else if (existing is not null) MoveLeadershipAndIsrOff(op, id);
            }
            long epoch = sameIncarnation ? existing!.Epoch : NextBrokerEpoch(op.Image, existing);
            op.Add(RegistrationRecord(id, request.IncarnationId, epoch, request.Endpoints, request.Rack,
                fenced: !sameIncarnation || existing!.Fenced, inControlledShutdown: sameIncarnation && existing!.InControlledShutdown));
            _inProcessBrokers.Remove(id);
            if (sameIncarnation) _sessions.Touch(id, existing!.Fenced, -1);
            else _sessions.Start(id);
            return new BrokerRegistrationOutcome(ErrorCode.None, null, epoch);
        });
    }

    /// <summary>
    /// BrokerHeartbeat: renews the broker's session and moves it through its lifecycle. A fenced broker is unfenced
    /// once it has applied its own registration record and does not ask to stay fenced; a broker that wants to shut
    /// down while it leads partitions enters controlled shutdown, which moves its leadership away, and is told to
    /// shut down once it leads nothing and every active broker has seen that.
    /// </summary>
    public Task<BrokerHeartbeatOutcome> BrokerHeartbeatAsync(BrokerHeartbeat heartbeat, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(heartbeat);
        return RunAsync(commit: true, cancellationToken, op =>
        {
            int id = heartbeat.BrokerId;
            // Kafka answers a heartbeat from an unknown broker with STALE_BROKER_EPOCH too: the broker re-registers either way.
            if (!op.Image.Brokers.TryGetValue(id, out var broker))
                return BrokerHeartbeatOutcome.Failed(ErrorCode.StaleBrokerEpoch, $"Broker {id} sent a heartbeat but is not registered.");
            if (broker.Epoch != heartbeat.BrokerEpoch)
                return BrokerHeartbeatOutcome.Failed(ErrorCode.StaleBrokerEpoch, $"Broker {id} has epoch {broker.Epoch}, not {heartbeat.BrokerEpoch}.");

            var reported = RecordReports(op.Image, broker, heartbeat.LeaderlessReplicas);
            var current = _sessions.IsShuttingDown(id) ? BrokerLifecycleState.ControlledShutdown
                : broker.Fenced ? BrokerLifecycleState.Fenced
                : BrokerLifecycleState.Unfenced;
            var next = NextState(current, heartbeat, broker, op.Image);
            if (next != current)
            {
                switch (next)
                {
                    case BrokerLifecycleState.Fenced or BrokerLifecycleState.ShutdownNow when !broker.Fenced:
                        Fence(op, broker);
                        break;
                    case BrokerLifecycleState.Unfenced:
                        Unfence(op, broker);
                        break;
                    case BrokerLifecycleState.ControlledShutdown:
                        EnterControlledShutdown(op, broker);
                        break;
                }
            }
            bool fenced = next is BrokerLifecycleState.Fenced or BrokerLifecycleState.ShutdownNow;
            List<string>? recovered = null;
            foreach (var (topicId, partitionId) in reported)
            {
                // Unfencing the broker above may already have elected with its report; either way it has a leader now.
                Recover(op, topicId, partitionId);
                if (op.Image.Topic(topicId) is { } topic && topic.Partitions[partitionId].Leader >= 0)
                    (recovered ??= []).Add($"{topic.Name}-{partitionId}");
            }
            _sessions.Touch(id, fenced, heartbeat.CurrentMetadataOffset);
            if (next == BrokerLifecycleState.ControlledShutdown)
                op.AfterCommit(endOffset => _sessions.EnterControlledShutdown(id, endOffset));
            return new BrokerHeartbeatOutcome(ErrorCode.None, null,
                IsCaughtUp: heartbeat.CurrentMetadataOffset >= broker.RegistrationOffset,
                IsFenced: fenced,
                InControlledShutdown: next == BrokerLifecycleState.ControlledShutdown,
                ShouldShutDown: next == BrokerLifecycleState.ShutdownNow)
            { RecoveredPartitions = (IReadOnlyList<string>?)recovered ?? [] };
        });
    }

    /// <summary>
    /// Fences every unfenced broker not heard from for longer than the session timeout (by the injected clock),
    /// the longest silent first, one committed operation each so each fencing sees the ones before. The driver
    /// calls this periodically. Returns the fenced broker ids.
    /// </summary>
    public async Task<IReadOnlyList<int>> CheckSessionsAsync(CancellationToken cancellationToken = default)
    {
        var fenced = new List<int>();
        while (true)
        {
            int expired = await RunAsync(commit: true, cancellationToken, op =>
            {
                var stale = _sessions.Expired(op.Image, _settings.BrokerSessionTimeout, _inProcessBrokers);
                if (stale.Count == 0) return -1;
                var broker = op.Image.Brokers[stale[0]];
                Fence(op, broker);
                _sessions.Fenced(broker.NodeId);
                return broker.NodeId;
            }).ConfigureAwait(false);
            if (expired < 0) return fenced;
            fenced.Add(expired);
        }
    }

    /// <summary>UnregisterBroker: the broker leaves every ISR and leadership, then its registration is removed.</summary>
    public Task<Outcome> UnregisterBrokerAsync(int brokerId, CancellationToken cancellationToken = default) =>
        RunAsync(commit: true, cancellationToken, op =>
        {
            if (!op.Image.Brokers.TryGetValue(brokerId, out var broker))
                return new Outcome(ErrorCode.BrokerIdNotRegistered, $"Broker {brokerId} is not registered.");
            MoveLeadershipAndIsrOff(op, brokerId);
            MoveOffElr(op, brokerId);
            op.Add(new UnregisterBrokerRecord { BrokerId = brokerId, BrokerEpoch = broker.Epoch });
            _inProcessBrokers.Remove(brokerId);
            _sessions.Remove(brokerId);
            return Outcome.Ok;
        });

    /// <summary>Commits records as given: for tests that build states the operations cannot reach yet (partitions with several replicas).</summary>
    internal Task CommitRecordsAsync(IReadOnlyList<IMetadataRecord> records) =>
        RunAsync(commit: true, CancellationToken.None, op =>
        {
            foreach (var record in records) op.Add(record);
            return 0;
        });

    /// <summary>Kafka's BrokerHeartbeatManager transitions for one heartbeat.</summary>
    private BrokerLifecycleState NextState(BrokerLifecycleState current, BrokerHeartbeat heartbeat, BrokerRegistration broker, MetadataImage image)
    {
        switch (current)
        {
            case BrokerLifecycleState.Fenced:
                if (heartbeat.WantShutDown) return BrokerLifecycleState.ShutdownNow;
                if (!heartbeat.WantFence && heartbeat.CurrentMetadataOffset >= broker.RegistrationOffset) return BrokerLifecycleState.Unfenced;
                return BrokerLifecycleState.Fenced;
            case BrokerLifecycleState.Unfenced:
                if (heartbeat.WantFence) return heartbeat.WantShutDown ? BrokerLifecycleState.ShutdownNow : BrokerLifecycleState.Fenced;
                if (heartbeat.WantShutDown)
                    return LeaderAndIsrChanges.Leads(image, broker.NodeId) ? BrokerLifecycleState.ControlledShutdown : BrokerLifecycleState.ShutdownNow;
                return BrokerLifecycleState.Unfenced;
            case BrokerLifecycleState.ControlledShutdown:
                if (LeaderAndIsrChanges.Leads(image, broker.NodeId)) return BrokerLifecycleState.ControlledShutdown;
                return _sessions.ControlledShutdownOffset(broker.NodeId) <= _sessions.LowestActiveOffset(image, _inProcessBrokers)
                    ? BrokerLifecycleState.ShutdownNow
                    : BrokerLifecycleState.ControlledShutdown;
            default:
                return BrokerLifecycleState.ShutdownNow;
        }
    }

    /// <summary>The broker leaves ISRs and leadership first (it is still registered while they are decided), then is fenced.</summary>
    private void Fence(PendingOperation op, BrokerRegistration broker)
    {
        MoveLeadershipAndIsrOff(op, broker.NodeId);
        op.Add(new FenceBrokerRecord { Id = broker.NodeId, Epoch = broker.Epoch });
    }

    /// <summary>The broker is unfenced, then leads every leaderless partition it can (one whose ISR it is in).</summary>
    private void Unfence(PendingOperation op, BrokerRegistration broker)
    {
        op.Add(new UnfenceBrokerRecord { Id = broker.NodeId, Epoch = broker.Epoch });
        var image = op.Image;
        foreach (var (topic, partition) in LeaderAndIsrChanges.Leaderless(image).ToList())
            if (LeaderAndIsrChanges.For(image, topic, partition, PolicyFor(image, topic), removed: LeaderAndIsrChanges.None, added: broker.NodeId,
                    recovery: KnowledgeFor(image, topic, partition)) is { } change)
                AddPartitionChange(op, change);
    }

    private void EnterControlledShutdown(PendingOperation op, BrokerRegistration broker)
    {
        if (!broker.InControlledShutdown)
            op.Add(new BrokerRegistrationChangeRecord { BrokerId = broker.NodeId, BrokerEpoch = broker.Epoch, InControlledShutdown = 1 });
        MoveLeadershipAndIsrOff(op, broker.NodeId);
    }

    private void MoveLeadershipAndIsrOff(PendingOperation op, int brokerId)
    {
        var image = op.Image;
        foreach (var (topic, partition) in LeaderAndIsrChanges.WithInIsr(image, brokerId).ToList())
            if (LeaderAndIsrChanges.For(image, topic, partition, PolicyFor(image, topic), removed: brokerId, added: LeaderAndIsrChanges.None) is { } change)
                AddPartitionChange(op, change);
    }

    /// <summary>An unregistered broker leaves the eligible leader replicas and the last known ELR too (after the ISR changes, on the image they made).</summary>
    private void MoveOffElr(PendingOperation op, int brokerId)
    {
        var image = op.Image;
        foreach (var (topic, partition) in LeaderAndIsrChanges.NamingAnywhere(image, brokerId).ToList())
            if (LeaderAndIsrChanges.For(image, topic, partition, PolicyFor(image, topic), removed: brokerId, added: LeaderAndIsrChanges.None, uncleanShutdown: brokerId, unregistered: true) is { } change)
                AddPartitionChange(op, change);
    }

    /// <summary>A broker back from an unclean shutdown leaves every ISR and eligible leader replica set, and leads nothing.</summary>
    private void DropAfterUncleanShutdown(PendingOperation op, int brokerId)
    {
        var image = op.Image;
        foreach (var (topic, partition) in LeaderAndIsrChanges.WithInIsrOrElr(image, brokerId).ToList())
            if (LeaderAndIsrChanges.For(image, topic, partition, PolicyFor(image, topic), removed: LeaderAndIsrChanges.None, added: LeaderAndIsrChanges.None, uncleanShutdown: brokerId) is { } change)
                AddPartitionChange(op, change);
    }

    /// <summary>
    /// A new broker epoch: Kafka's is the offset of the registration record. The image's next offset is that offset
    /// unless a Raft control batch comes in between, never more, so epochs still only grow.
    /// </summary>
    private static long NextBrokerEpoch(MetadataImage image, BrokerRegistration? existing) =>
        Math.Max(image.Offset + 1, (existing?.Epoch ?? -1) + 1);

    private static RegisterBrokerRecord RegistrationRecord(int brokerId, KafkaUuid incarnation, long epoch,
        IReadOnlyList<BrokerEndpointInfo> endpoints, string? rack, bool fenced, bool inControlledShutdown) => new()
    {
        BrokerId = brokerId,
        IncarnationId = incarnation,
        BrokerEpoch = epoch,
        Rack = rack,
        Fenced = fenced,
        InControlledShutdown = inControlledShutdown,
        Endpoints = [.. endpoints.Select(e => new RegisterBrokerRecord.BrokerEndpoint { Name = e.ListenerName, Host = e.Host, Port = e.Port, SecurityProtocol = e.SecurityProtocol })],
    };

    private static BrokerListener ToListener(BrokerEndpointInfo e) => new(e.ListenerName, e.Host, e.Port, e.SecurityProtocol);
}
