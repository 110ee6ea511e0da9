using System.Collections.Concurrent;
using Gregor.Client.Consumer;

namespace Gregor.Client.Tests.Integration;

/// <summary>A record a member consumed, with the partitions it held by its handlers' account at that moment.</summary>
internal sealed record Consumed(string Member, string Topic, int Partition, long Offset, string Value, bool Held);

/// <summary>What a rebalance handler was given: kind (assigned, revoked, lost), the generation of the step, the partitions.</summary>
internal sealed record Rebalance(string Member, string Kind, int Generation, IReadOnlyList<TopicPartition> Partitions);

/// <summary>
/// A subscribed Gregor consumer run as an application runs one: a thread of its own calls Consume in a loop and
/// records every record; the rebalance handlers record what they are given, keep <see cref="Held"/>, and check in
/// <paramref name="holders"/> (shared by the members of a test) that no partition is assigned while another member
/// holds it. <see cref="Close"/> ends it as an application should, <see cref="Kill"/> as a crash does.
/// </summary>
internal sealed class SubscribedConsumer : IDisposable
{
    private readonly ConcurrentDictionary<TopicPartition, string>? _holders;
    private readonly HashSet<TopicPartition> _held = [];
    private readonly Thread _thread;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<Rebalance>? _allRebalances;
    private readonly ManualResetEventSlim _released = new(initialState: true);
    private int _stopped;
    private int _stallsFinished;

    public SubscribedConsumer(string name, ConsumerConfig config, IEnumerable<string> topics,
        ConcurrentDictionary<TopicPartition, string>? holders = null, ConcurrentQueue<Rebalance>? allRebalances = null,
        Func<SubscribedConsumer, IConsumer<string, string>, List<TopicPartition>, IEnumerable<TopicPartitionOffset>?>? onAssigned = null,
        Action<SubscribedConsumer, IConsumer<string, string>, List<TopicPartitionOffset>>? onRevoked = null)
    {
        Name = name;
        _holders = holders;
        _allRebalances = allRebalances;
        var builder = new ConsumerBuilder<string, string>(config)
            .SetErrorHandler((_, e) => Warnings.Enqueue(e))
            .SetPartitionsAssignedHandler((c, partitions) =>
            {
                Note("assigned", partitions);
                lock (_held)
                {
                    foreach (var tp in partitions)
                    {
                        if (_holders is not null && !_holders.TryAdd(tp, Name) && _holders.TryGetValue(tp, out var other) && other != Name)
                            Violations.Enqueue($"{Name} was assigned {tp} while {other} held it");
                        _held.Add(tp);
                    }
                }
                return onAssigned?.Invoke(this, c, partitions) ?? partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Unset));
            })
            .SetPartitionsRevokedHandler((c, partitions) =>
            {
                Note("revoked", partitions.Select(p => p.TopicPartition));
                onRevoked?.Invoke(this, c, partitions);
                Release(partitions.Select(p => p.TopicPartition));
            })
            .SetPartitionsLostHandler((_, partitions) =>
            {
                Note("lost", partitions.Select(p => p.TopicPartition));
                Release(partitions.Select(p => p.TopicPartition));
            });
        Consumer = builder.Build();
        Consumer.Subscribe(topics);
        _thread = new Thread(Run) { IsBackground = true, Name = "consumer " + name };
        _thread.Start();
    }

    public string Name { get; }

    public IConsumer<string, string> Consumer { get; }

    public ConcurrentQueue<Consumed> Records { get; } = new();

    public ConcurrentQueue<Rebalance> Rebalances { get; } = new();

    public ConcurrentQueue<string> Violations { get; } = new();

    /// <summary>What Consume threw (a test that expects none checks this is empty).</summary>
    public ConcurrentQueue<Exception> Errors { get; } = new();

    public ConcurrentQueue<Error> Warnings { get; } = new();

    /// <summary>How long each record takes to "process" (the application being slow), in milliseconds.</summary>
    public int ProcessingDelayMs { get; set; }

    /// <summary>A one-off stall before the next Consume, in milliseconds (the application stuck).</summary>
    public int StallOnceMs { get; set; }

    /// <summary>How many <see cref="StallOnceMs"/> stalls have ended, so a test waits for the stall rather than guessing its end.</summary>
    public int StallsFinished => Volatile.Read(ref _stallsFinished);

    /// <summary>Stops calling Consume after the current call until <see cref="Release"/> (the application stuck for as long as a test needs).</summary>
    public void Hold() => _released.Reset();

    public void Release() => _released.Set();

    /// <summary>The consumer's position in a partition it holds; -1 while it is not known (being looked up, or the partition just moved).</summary>
    public long PositionOf(TopicPartition partition)
    {
        try
        {
            return Consumer.Position(partition).Value;
        }
        catch (Exception e) when (e is KafkaException or ObjectDisposedException)
        {
            return -1;
        }
    }

    public IReadOnlySet<TopicPartition> Held
    {
        get { lock (_held) return new HashSet<TopicPartition>(_held); }
    }

    /// <summary>The generation the membership is carrying out a step of (for the handlers).</summary>
    public int StepGeneration => ((Consumer<string, string>)Consumer).GroupMember?.StepGeneration ?? -1;

    private void Note(string kind, IEnumerable<TopicPartition> partitions)
    {
        var rebalance = new Rebalance(Name, kind, StepGeneration, [.. partitions.Order()]);
        Rebalances.Enqueue(rebalance);
        _allRebalances?.Enqueue(rebalance);
    }

    private void Release(IEnumerable<TopicPartition> partitions)
    {
        lock (_held)
        {
            foreach (var tp in partitions)
            {
                _held.Remove(tp);
                _holders?.TryRemove(new KeyValuePair<TopicPartition, string>(tp, Name));
            }
        }
    }

    private void Run()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                if (StallOnceMs > 0)
                {
                    int stall = StallOnceMs;
                    StallOnceMs = 0;
                    Thread.Sleep(stall);
                    Interlocked.Increment(ref _stallsFinished);
                }
                _released.Wait(_stop.Token);
                var result = Consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is null || result.IsPartitionEOF) continue;
                bool held;
                lock (_held) held = _held.Contains(result.TopicPartition);
                Records.Enqueue(new Consumed(Name, result.Topic, result.Partition.Value, result.Offset.Value, result.Message.Value, held));
                if (ProcessingDelayMs > 0) Thread.Sleep(ProcessingDelayMs);
            }
            catch (Exception e) when (e is KafkaException or InvalidOperationException)
            {
                if (_stop.IsCancellationRequested) return;
                Errors.Enqueue(e);
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Stops the consume loop (the thread ends after its current Consume).</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        _stop.Cancel();
        _thread.Join();
    }

    /// <summary>Ends as an application should: Close (revoke, commit, leave), then Dispose.</summary>
    public void Close()
    {
        Stop();
        Consumer.Close();
        Consumer.Dispose();
    }

    /// <summary>Ends as a crash does: no revocation, no commit, no LeaveGroup; the connections just close.</summary>
    public void Kill()
    {
        Stop();
        Consumer.Dispose();
        Release(Held); // a dead process consumes nothing more
    }

    public void Dispose()
    {
        Stop();
        Consumer.Dispose();
        _stop.Dispose();
        _released.Dispose();
    }
}
