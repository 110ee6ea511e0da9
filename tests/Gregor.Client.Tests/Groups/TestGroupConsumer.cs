using System.Collections.Concurrent;
using Gregor.Client.Groups;
using Gregor.Client.Metadata;
using Gregor.Net;

namespace Gregor.Client.Tests.Groups;

/// <summary>
/// Stands in for the consumer on top of a real <see cref="GroupMembershipDriver"/>: a loop on its
/// own task polls the membership the way Consume would, carries out each rebalance step (here:
/// takes the partitions into or out of <see cref="Held"/>, and checks with the other members of
/// the test that nobody else holds a partition it takes), and reports it done.
/// </summary>
internal sealed class TestGroupConsumer : IAsyncDisposable
{
    private readonly ConnectionPool _pool;
    private readonly MetadataManager _metadata;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly HashSet<TopicPartition> _held = [];
    private readonly ConcurrentDictionary<TopicPartition, string>? _holders;

    public TestGroupConsumer(string name, string bootstrap, MembershipSettings settings, IEnumerable<string> topics,
        ConcurrentDictionary<TopicPartition, string>? holders = null)
    {
        Name = name;
        _holders = holders;
        _pool = new ConnectionPool(new ConnectionSettings { ClientId = name });
        _metadata = new MetadataManager(BrokerEndpoint.ParseList(bootstrap), _pool, TimeSpan.FromMinutes(5), TimeSpan.FromMilliseconds(100), allowAutoTopicCreation: false);
        Membership = new GroupMembershipDriver(settings, _metadata);
        Membership.Subscribe(topics);
        _loop = Task.Run(PollLoopAsync);
    }

    public string Name { get; }

    public GroupMembershipDriver Membership { get; }

    public ConcurrentQueue<string> Log { get; } = new();

    public ConcurrentQueue<string> Violations { get; } = new();

    public ConcurrentQueue<KafkaException> Errors { get; } = new();

    /// <summary>While set, the consumer does not poll (an application stuck in its processing).</summary>
    public bool Paused { get; set; }

    public IReadOnlySet<TopicPartition> Held
    {
        get { lock (_held) return new HashSet<TopicPartition>(_held); }
    }

    private async Task PollLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (!Paused) Drain();
            }
            catch (KafkaException e)
            {
                Errors.Enqueue(e);
            }
            try { await Task.Delay(20, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    private void Drain()
    {
        while (Membership.Poll() is { } step)
        {
            Carry(step);
            Membership.Complete(step);
        }
    }

    private void Carry(RebalanceStep step)
    {
        Log.Enqueue($"{step.Kind} g{step.GenerationId} [{string.Join(",", step.Partitions.Select(p => p.Partition.Value))}]");
        lock (_held)
        {
            foreach (var tp in step.Partitions)
            {
                if (step.Kind == RebalanceStepKind.Assign)
                {
                    if (_holders is not null && !_holders.TryAdd(tp, Name) && _holders.TryGetValue(tp, out var other) && other != Name)
                        Violations.Enqueue($"{Name} took {tp} while {other} held it");
                    _held.Add(tp);
                }
                else
                {
                    _held.Remove(tp);
                    _holders?.TryRemove(new KeyValuePair<TopicPartition, string>(tp, Name));
                }
            }
        }
    }

    /// <summary>Closes as the consumer will: revoke (steps on this thread), then leave, within the timeout.</summary>
    public async Task CloseAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Membership.BeginClose();
        Drain();
        await Membership.CloseAsync(TimeSpan.FromSeconds(10));
        await _metadata.DisposeAsync();
        await _pool.DisposeAsync();
    }

    /// <summary>For a member stopped without revoking: its partitions count as nobody's now.</summary>
    public void ForgetHoldings()
    {
        lock (_held)
            foreach (var tp in _held) _holders?.TryRemove(new KeyValuePair<TopicPartition, string>(tp, Name));
    }

    /// <summary>Stops without leaving or revoking, like a process that dies.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        try { await _loop; } catch (OperationCanceledException) { }
        await Membership.DisposeAsync();
        await _metadata.DisposeAsync();
        await _pool.DisposeAsync();
    }
}
