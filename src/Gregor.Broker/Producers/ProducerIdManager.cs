using Gregor.Protocol;

namespace Gregor.Broker.Producers;

/// <summary>A block of producer ids handed to this broker: <see cref="Length"/> ids from <see cref="FirstId"/>.</summary>
public readonly record struct ProducerIdBlock(long FirstId, int Length)
{
    /// <summary>The first id after the block.</summary>
    public long End => FirstId + Length;
}

/// <summary>
/// Where blocks come from: the active controller (AllocateProducerIds) in a cluster. A failed fetch throws; the
/// manager retries it later.
/// </summary>
public interface IProducerIdBlockSource
{
    Task<ProducerIdBlock> FetchBlockAsync(CancellationToken cancellationToken);
}

/// <summary>
/// No producer id is at hand: the current block is used up and the next has not arrived. Retriable: Kafka's broker
/// answers InitProducerId with COORDINATOR_LOAD_IN_PROGRESS then (older clients would treat REQUEST_TIMED_OUT as fatal).
/// </summary>
public sealed class ProducerIdsUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    public ErrorCode Error => ErrorCode.CoordinatorLoadInProgress;
}

/// <summary>
/// Hands out this broker's producer ids, one at a time and each once, from the block the controller gave it, and asks
/// for the next block in the background once 90% of the current one is used, so a busy broker rarely waits (as
/// Kafka's broker does). Never blocks: with no id at hand it starts a fetch (unless one is running, or the last one
/// failed less than the retry backoff ago) and throws <see cref="ProducerIdsUnavailableException"/>. Thread-safe.
/// A block that does not start past every id handed out so far is refused as a failed fetch, so ids only grow.
/// </summary>
public sealed class ProducerIdManager : IDisposable
{
    /// <summary>The share of a block handed out after which the next is fetched.</summary>
    public const double PrefetchThreshold = 0.9;

    private readonly object _lock = new();
    private readonly IProducerIdBlockSource _source;
    private readonly TimeProvider _time;
    private readonly TimeSpan _retryBackoff;
    private readonly CancellationTokenSource _stopping = new();

    private ProducerIdBlock? _current;
    private long _next;                 // the next id of _current to hand out
    private ProducerIdBlock? _prefetched;
    private long _highestSeen = -1;     // the end of the last block accepted, less one: no block may start at or below it
    private Task? _fetch;
    private long _retryAfter;           // timestamp (of _time) before which a failed fetch is not retried
    private Exception? _lastFailure;

    /// <param name="retryBackoff">How long after a failed fetch the next is started; Kafka's broker waits 50 ms.</param>
    public ProducerIdManager(IProducerIdBlockSource source, TimeProvider time, TimeSpan? retryBackoff = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(time);
        _source = source;
        _time = time;
        _retryBackoff = retryBackoff ?? TimeSpan.FromMilliseconds(50);
    }

    /// <summary>The fetch running now, if any (tests wait on it).</summary>
    internal Task? RunningFetch
    {
        get { lock (_lock) return _fetch; }
    }

    /// <summary>The next producer id, or <see cref="ProducerIdsUnavailableException"/> while no block is at hand.</summary>
    public long NextProducerId()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            if (_current is not { } block || _next >= block.End)
            {
                if (_prefetched is not { } next)
                {
                    StartFetch();
                    throw new ProducerIdsUnavailableException(_lastFailure is null
                        ? "No producer id block is at hand yet; the next is being fetched from the controller."
                        : $"No producer id block is at hand; fetching one failed: {_lastFailure.Message}", _lastFailure);
                }
                _current = block = next;
                _prefetched = null;
                _next = next.FirstId;
            }
            long id = _next++;
            if (_prefetched is null && id >= block.FirstId + (long)(block.Length * PrefetchThreshold))
                StartFetch();
            return id;
        }
    }

    /// <summary>Starts fetching the next block unless one is running, one is waiting to be used, or the backoff after a failure runs.</summary>
    private void StartFetch()
    {
        if (_fetch is not null || _prefetched is not null) return;
        if (_lastFailure is not null && _time.GetTimestamp() < _retryAfter) return;
        // Run the source outside the lock: it may complete synchronously and call back into Completed.
        _fetch = Task.Run(FetchAsync);
    }

    private async Task FetchAsync()
    {
        ProducerIdBlock block;
        try
        {
            block = await _source.FetchBlockAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            Failed(e);
            return;
        }
        lock (_lock)
        {
            _fetch = null;
            if (block.Length <= 0 || block.FirstId < 0 || block.FirstId > long.MaxValue - block.Length || block.FirstId <= _highestSeen)
            {
                FailedLocked(new InvalidOperationException(
                    $"the controller handed out producer ids {block.FirstId} (+{block.Length}), not past {_highestSeen}"));
                return;
            }
            _highestSeen = block.End - 1;
            _prefetched = block;
            _lastFailure = null;
        }
    }

    private void Failed(Exception e)
    {
        lock (_lock)
        {
            _fetch = null;
            FailedLocked(e);
        }
    }

    private void FailedLocked(Exception e)
    {
        _lastFailure = e;
        _retryAfter = _time.GetTimestamp() + (long)(_retryBackoff.TotalSeconds * _time.TimestampFrequency);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopping.IsCancellationRequested) return;
            _stopping.Cancel();
        }
        _stopping.Dispose();
    }
}
