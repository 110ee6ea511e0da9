using Gregor.Broker.Replication;
using Gregor.Metadata;
using Gregor.Metadata.Controller;
using Gregor.Protocol;
using Gregor.Protocol.Primitives;
using Gregor.Storage;

namespace Gregor.Broker.Tests.ReplicationSimulation;

/// <summary>The controller's side and the brokers' lifecycle: registration, heartbeats, metadata, crashes, pauses and restarts.</summary>
internal sealed partial class ReplicationSimulation
{
    private static readonly BrokerEndpointInfo[] NoEndpoints = [new BrokerEndpointInfo("PLAINTEXT", "sim", 9092, 0)];

    /// <summary>Every broker registered and unfenced, then the topic created with a seeded replica order (the first leads).</summary>
    private void Bootstrap()
    {
        foreach (SimBroker b in _brokers)
        {
            b.IncarnationId = KafkaUuid.NewRandom(_controllerRandom);
            BrokerRegistrationOutcome registered = Done(_controller.RegisterBrokerAsync(
                new BrokerRegistrationRequest(b.Id, _publisher.Current.ClusterId, b.IncarnationId, NoEndpoints, null)));
            if (registered.Error != ErrorCode.None) throw Violation($"bootstrap registration of {b.Id}: {registered.Error}");
            b.BrokerEpoch = registered.BrokerEpoch;
            Done(_controller.BrokerHeartbeatAsync(new BrokerHeartbeat(b.Id, b.BrokerEpoch, _publisher.Current.Offset, false, false)));
        }
        _replicaIds = [.. _brokers.Select(b => b.Id).OrderBy(_ => _random.Next())];
        var created = Done(_controller.CreateTopicsAsync([new NewTopic(Topic, -1, -1, [new PartitionAssignment(0, _replicaIds)],
            [new KeyValuePair<string, string?>("min.insync.replicas", _options.MinInsyncReplicas.ToString(System.Globalization.CultureInfo.InvariantCulture))])], false));
        if (created[0].Error != ErrorCode.None) throw Violation($"topic creation: {created[0].Error} {created[0].Message}");
        _topicId = _publisher.Current.Topic(Topic)!.Id;
        Trace($"topic created: replicas [{string.Join(",", _replicaIds)}], {_producers.Length} producers ({_producers.Count(p => p.Idempotent)} idempotent)");
        foreach (SimBroker b in _brokers)
        {
            StartBroker(b, registered: true);
            ApplyImage(b, _publisher.Current);
        }
        _lastPushed = _publisher.Current.Offset;
    }

    private void StartBroker(SimBroker b, bool registered)
    {
        b.Incarnation++;
        PartitionLog log = PartitionLog.Open(b.Directory, _settings.Log, _clock);
        b.Partition = new HostedPartition(new TopicPartition(Topic, 0), _topicId, b.Directory, log, _settings, b.Id);
        b.Image = null;
        b.Following = null;
        b.Pending.Clear();
        b.AlterInFlight = null;
        b.Paused = false;
        b.HeldWhilePaused.Clear();
        b.CheckedUpTo = Math.Min(b.CheckedUpTo, log.LogEndOffset);
        b.LastState = "";
        if (!registered)
        {
            b.BrokerEpoch = -1;
            b.IncarnationId = KafkaUuid.NewRandom(_controllerRandom);
        }
        b.NextHeartbeatMs = Now;
        b.NextShrinkCheckMs = Now + _options.LagTimeMaxMs / 2;
        Trace($"broker {b.Id} starts: log [{log.LogStartOffset},{log.LogEndOffset}) hw {log.HighWatermark} latest epoch {log.LatestEpoch}");
        Schedule(1 + _random.Next(TickMs), new BrokerTick(b.Id, b.Incarnation));
    }

    private void Handle(SimEvent e)
    {
        switch (e)
        {
            case Deliver d:
                DeliverMessage(d.Message);
                break;
            case BrokerTick t:
            {
                SimBroker b = Broker(t.Broker);
                if (!b.IsUp || b.Incarnation != t.Incarnation) return;
                if (!b.Paused)
                {
                    Tick(b);
                    AfterStep(b);
                }
                Schedule(TickMs, t);
                break;
            }
            case ControllerTick:
            {
                IReadOnlyList<int> fenced = Done(_controller.CheckSessionsAsync());
                foreach (int id in fenced)
                {
                    Stats.Fencings++;
                    Trace($"controller: broker {id}'s session expired, fenced");
                }
                foreach (string recovered in Done(_controller.CheckUncleanRecoveriesAsync()))
                    Trace($"controller: unclean recovery of {recovered} timed out, elected among the replicas that reported");
                PushImage();
                Schedule(50, e);
                break;
            }
            case ProducerTick t:
                ProducerStep(_producers[t.Producer]);
                Schedule(5 + _random.Next(30), e);
                break;
            case Fault:
                InjectFault();
                if (!_healed) Schedule(300 + _random.Next(1500), e);
                break;
            case Restart r:
                if (!Broker(r.Broker).IsUp) StartBroker(Broker(r.Broker), registered: false);
                break;
            case Resume r:
                ResumeBroker(Broker(r.Broker));
                break;
            case Heal:
                _healed = true;
                _network.HealAll();
                _network.Calm();
                Trace("heal: every link restored, every broker up and running");
                foreach (SimBroker b in _brokers)
                {
                    if (!b.IsUp) StartBroker(b, registered: false);
                    ResumeBroker(b);
                }
                break;
            case StopProducing:
                _producing = false;
                Trace("producers stop sending new values");
                break;
        }
    }

    private void DeliverMessage(SimMessage message)
    {
        long connection = message switch { Produce p => p.Connection, ProduceAnswer a => a.Connection, _ => -1 };
        if (connection >= 0 && _brokenConnections.Contains(connection)) return;
        if (_network.IsCut(message.From, message.To))
        {
            if (connection >= 0) _brokenConnections.Add(connection);
            return;
        }
        Stats.Delivered++;
        if (message.To == SimNetwork.Controller)
        {
            ControllerReceive(message);
            return;
        }
        if (message.To >= 100)
        {
            ProducerReceive(_producers[message.To - 100], (ProduceAnswer)message);
            return;
        }
        SimBroker b = Broker(message.To);
        if (!b.IsUp) return;
        if (b.Paused)
        {
            b.HeldWhilePaused.Add(message);
            return;
        }
        BrokerReceive(b, message);
        AfterStep(b);
    }

    private void ControllerReceive(SimMessage message)
    {
        switch (message)
        {
            case RegisterBroker r:
            {
                // A new incarnation each start, and never a clean previous epoch: every stop here is a crash.
                var outcome = Done(_controller.RegisterBrokerAsync(new BrokerRegistrationRequest(r.From, _publisher.Current.ClusterId,
                    r.IncarnationId, NoEndpoints, null)));
                Send(new RegisterAnswer(r.From, r.Incarnation, outcome));
                break;
            }
            case Heartbeat h:
            {
                var outcome = Done(_controller.BrokerHeartbeatAsync(new BrokerHeartbeat(h.From, h.BrokerEpoch, h.MetadataOffset, false, false)
                {
                    LeaderlessReplicas = h.Leaderless,
                }));
                Send(new HeartbeatAnswer(h.From, h.Incarnation, outcome));
                if (h.MetadataOffset < _publisher.Current.Offset)
                    Send(new MetadataPush(h.From, _publisher.Current));
                break;
            }
            case AlterIsr a:
            {
                var outcome = Done(_controller.AlterPartitionAsync(a.Request));
                Send(new AlterIsrAnswer(a.From, a.Incarnation, a.Id, outcome));
                break;
            }
        }
        PushImage();
    }

    /// <summary>Each committed change reaches the brokers as their metadata fetches would bring it (through the network: late, or not at all while cut).</summary>
    private void PushImage()
    {
        MetadataImage image = _publisher.Current;
        if (image.Offset <= _lastPushed) return;
        _lastPushed = image.Offset;
        PartitionImage? p = image.Topic(Topic)?.Partitions[0];
        if (p is not null)
        {
            if (p.Leader >= 0 && _leaderOfEpoch.TryAdd(p.LeaderEpoch, p.Leader))
            {
                Stats.Elections++;
                Trace($"controller: leader {p.Leader} at epoch {p.LeaderEpoch}, isr [{string.Join(",", p.Isr)}] elr [{string.Join(",", p.Elr)}] recovery {p.LeaderRecoveryState}");
            }
            else if (_leaderOfEpoch.TryGetValue(p.LeaderEpoch, out int known) && p.Leader >= 0 && known != p.Leader)
                throw Violation($"the controller named leaders {known} and {p.Leader} for epoch {p.LeaderEpoch}");
            else
                Trace($"controller: partition epoch {p.PartitionEpoch}: leader {p.Leader} epoch {p.LeaderEpoch} isr [{string.Join(",", p.Isr)}] elr [{string.Join(",", p.Elr)}] last known [{string.Join(",", p.LastKnownElr)}]");
            ObserveIsrAfterLosses(p);
        }
        foreach (SimBroker b in _brokers)
            Send(new MetadataPush(b.Id, image));
    }

    /// <summary>
    /// What the broker's heartbeat reports for the unclean recovery (LeaderlessReplicaReports): where its replica ends,
    /// when its image shows the partition with no leader, ISR or eligible leaders.
    /// </summary>
    private static IReadOnlyList<LeaderlessReplicaReport> LeaderlessReport(SimBroker b)
    {
        if (b.Image?.Topic(Topic) is not { } topic) return [];
        PartitionImage p = topic.Partitions[0];
        if (p.Leader >= 0 || p.Isr.Length > 0 || p.Elr.Length > 0) return [];
        return [new LeaderlessReplicaReport(topic.Id, 0, p.PartitionEpoch, new ReplicaLogEnd(b.Log.LatestEpoch, b.Log.LogEndOffset))];
    }

    /// <summary>
    /// A broker acts on metadata only once the image holds its own current registration, as a KRaft broker publishes to
    /// its replica manager only after its initial catch-up past its registration (so a restarted broker never acts on
    /// a leadership from before its crash). Then the partition takes the image, and the replica fetcher follows it.
    /// </summary>
    private void ApplyImage(SimBroker b, MetadataImage image)
    {
        if (b.Image is { } applied && image.Offset <= applied.Offset) return;
        if (b.BrokerEpoch < 0 || !image.Brokers.TryGetValue(b.Id, out BrokerRegistration? own) || own.Epoch != b.BrokerEpoch) return;
        b.Image = image;
        PartitionImage? p = image.Topic(Topic)?.Partitions[0];
        HostedPartition hp = b.Partition!;
        hp.UpdateState(p, _clock.UnixMs);
        bool follows = p is not null && p.Leader >= 0 && p.Leader != b.Id && p.Replicas.Contains(b.Id);
        if (!follows)
            b.Following = null;
        else if (b.Following is not { } f || f.Leader != p!.Leader || f.LeaderEpoch != p.LeaderEpoch)
            b.Following = new Followed(p!.Leader, p.LeaderEpoch);
    }

    private void BrokerReceive(SimBroker b, SimMessage message)
    {
        switch (message)
        {
            case RegisterAnswer r when r.Incarnation == b.Incarnation:
                if (r.Outcome.Error == ErrorCode.None && b.BrokerEpoch < 0)
                {
                    b.BrokerEpoch = r.Outcome.BrokerEpoch;
                    Trace($"broker {b.Id} registered with epoch {b.BrokerEpoch}");
                }
                break;
            case HeartbeatAnswer h when h.Incarnation == b.Incarnation:
                // BrokerLifecycleManager: a controller that no longer knows the epoch means registering again.
                if (h.Outcome.Error == ErrorCode.StaleBrokerEpoch)
                {
                    Trace($"broker {b.Id}: broker epoch {b.BrokerEpoch} is stale, registering again");
                    b.BrokerEpoch = -1;
                }
                break;
            case MetadataPush m:
                ApplyImage(b, m.Image);
                break;
            case AlterIsrAnswer a when a.Incarnation == b.Incarnation:
                OnAlterAnswer(b, a);
                break;
            case ReplicaFetch f:
                Send(AnswerFetch(b, f));
                break;
            case ReplicaFetchAnswer f when f.Incarnation == b.Incarnation:
                OnFetchAnswer(b, f);
                break;
            case EpochQuery q:
                Send(AnswerEpochQuery(b, q));
                break;
            case EpochAnswer q when q.Incarnation == b.Incarnation:
                OnEpochAnswer(b, q);
                break;
            case Produce p:
                LeaderProduce(b, p);
                break;
        }
    }

    /// <summary>The broker's periodic work: its lifecycle with the controller, the replica fetcher, the ISR check, acks=all waits, the flusher.</summary>
    private void Tick(SimBroker b)
    {
        if (Now >= b.NextHeartbeatMs)
        {
            b.NextHeartbeatMs = Now + _options.HeartbeatMs;
            if (b.BrokerEpoch < 0)
                Send(new RegisterBroker(b.Id, b.Incarnation, b.IncarnationId));
            else
                Send(new Heartbeat(b.Id, b.Incarnation, b.BrokerEpoch, b.Image?.Offset ?? -1, LeaderlessReport(b)));
        }
        FollowerStep(b);
        LeaderStep(b);
        // The background flusher (and the OS writing dirty pages back): now and then the log is made durable.
        if (_random.Next(150) == 0)
            b.Log.Flush();
    }

    private void InjectFault()
    {
        if (_healed) return;
        SimBroker[] up = [.. _brokers.Where(b => b.IsUp)];
        int all = SimNetwork.Controller;
        switch (_random.Next(9))
        {
            case 0 when up.Length > 0:
                Crash(up[_random.Next(up.Length)], loseTail: false);
                break;
            case 1:
            {
                // Power loss: the page cache goes too, only where acks=all still promises every committed record (MayLosePageCache).
                SimBroker? leader = up.FirstOrDefault(b => b.Partition!.IsLeader);
                SimBroker? victim = _random.Next(2) == 0 && leader is not null ? leader : up.Length > 0 ? up[_random.Next(up.Length)] : null;
                if (victim is not null && MayLosePageCache(victim))
                    Crash(victim, loseTail: true);
                break;
            }
            case 2:
            {
                SimBroker isolated = _brokers[_random.Next(_brokers.Length)];
                foreach (SimBroker other in _brokers) _network.Cut(isolated.Id, other.Id);
                bool fromController = _random.Next(2) == 0;
                if (fromController) _network.Cut(isolated.Id, all);
                Trace($"partition: broker {isolated.Id} cut off from the other brokers{(fromController ? " and the controller" : "")}");
                break;
            }
            case 3:
            {
                // The leader alone: cut from its followers, maybe from the controller, maybe not from the producers.
                SimBroker? leader = up.FirstOrDefault(b => b.Partition!.IsLeader);
                if (leader is null) break;
                foreach (SimBroker other in _brokers) _network.Cut(leader.Id, other.Id);
                if (_random.Next(3) != 0) _network.Cut(leader.Id, all);
                Trace($"partition: leader {leader.Id} isolated");
                break;
            }
            case 4:
            {
                HashSet<int> side = [.. _brokers.Where(_ => _random.Next(2) == 0).Select(b => b.Id)];
                if (_random.Next(2) == 0) side.Add(all);
                int[] everyone = [all, .. _brokers.Select(b => b.Id)];
                foreach (int a in everyone)
                    foreach (int c in everyone)
                        if (side.Contains(a) && !side.Contains(c)) _network.Cut(a, c);
                Trace($"partition: {{{string.Join(",", side)}}} from the rest (0 is the controller)");
                break;
            }
            case 5 when up.Length > 0:
            {
                SimBroker victim = up[_random.Next(up.Length)];
                if (victim.Paused) break;
                victim.Paused = true;
                Stats.Pauses++;
                // Often past the session timeout, so the broker is fenced while it sleeps.
                long pause = 100 + _random.Next((int)(_options.SessionTimeoutMs * 4));
                Trace($"broker {victim.Id} paused for {pause} ms");
                Schedule(pause, new Resume(victim.Id));
                break;
            }
            case 6:
            {
                int producer = 100 + _random.Next(_producers.Length);
                SimBroker broker = _brokers[_random.Next(_brokers.Length)];
                _network.Cut(producer, broker.Id);
                Trace($"partition: producer {producer} cut from broker {broker.Id}");
                break;
            }
            default:
                _network.HealAll();
                Trace("partitions healed");
                break;
        }
    }

    private void Crash(SimBroker b, bool loseTail)
    {
        PartitionLog log = b.Log;
        long end = log.LogEndOffset;
        OnGoingDown(b, loseTail);
        AbandonLog.Invoke(log, null);
        b.Partition = null;
        b.Following = null;
        b.Pending.Clear();
        b.Paused = false;
        b.HeldWhilePaused.Clear();
        b.Image = null;
        b.BrokerEpoch = -1;
        Stats.Crashes++;
        string lost = "";
        if (loseTail)
        {
            Stats.TailsLost++;
            lost = UnflushedTail.Cut(b.Directory, _random);
        }
        Trace($"broker {b.Id} crashes at log end {end}{(loseTail ? $", losing its page cache: {lost}" : "")}");
        Schedule(50 + _random.Next(2000), new Restart(b.Id));
    }

    private void ResumeBroker(SimBroker b)
    {
        if (!b.Paused) return;
        b.Paused = false;
        Trace($"broker {b.Id} resumes with {b.HeldWhilePaused.Count} messages waiting");
        if (!b.IsUp) return;
        SimMessage[] held = [.. b.HeldWhilePaused];
        b.HeldWhilePaused.Clear();
        Tick(b);
        AfterStep(b);
        foreach (SimMessage message in held)
        {
            if (!b.IsUp) break;
            BrokerReceive(b, message);
            AfterStep(b);
        }
    }
}
