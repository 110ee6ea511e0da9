using Gregor.Metadata;

namespace Gregor.Broker.Producers;

/// <summary>
/// Which producer ids this cluster has issued: every id below the image's next producer id belongs to a block the
/// controller handed to some broker (AllocateProducerIds commits the block before any id of it is given out). A
/// produce naming a larger id is refused with UNKNOWN_PRODUCER_ID, so invented ids cannot fill the producer state.
/// This broker's image may trail the metadata log by a moment: a producer given an id of a fresh block by another
/// broker may write here before the block's record is folded in. Such an id is waited for, briefly, as new images
/// arrive; only an id still unknown after <see cref="CatchUpWait"/> is refused.
/// </summary>
public sealed class IssuedProducerIds
{
    /// <summary>How long a produce waits for this broker's image to learn of a block another broker has just been given.</summary>
    public static readonly TimeSpan CatchUpWait = TimeSpan.FromMilliseconds(500);

    /// <summary>At most this many produces wait at once; more are answered at once from the image they see.</summary>
    public const int MaxWaiters = 1024;

    private readonly IMetadataView _metadata;
    private readonly TimeProvider _time;
    private readonly object _lock = new();
    private readonly List<(long ProducerId, TaskCompletionSource<bool> Issued)> _waiters = [];

    public IssuedProducerIds(IMetadataView metadata, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(time);
        _metadata = metadata;
        _time = time;
        metadata.Subscribe(OnPublished);
    }

    /// <summary>Whether <paramref name="producerId"/> was issued, as far as the current image tells.</summary>
    public bool IsIssued(long producerId) => producerId >= 0 && producerId < _metadata.Current.NextProducerId;

    /// <summary>
    /// Whether <paramref name="producerId"/> was issued: at once when the image knows it, else once an image that knows it
    /// arrives, or false after <see cref="CatchUpWait"/>.
    /// </summary>
    public ValueTask<bool> IsIssuedAsync(long producerId, CancellationToken cancellationToken)
    {
        if (IsIssued(producerId)) return ValueTask.FromResult(true);
        if (producerId < 0) return ValueTask.FromResult(false);
        var issued = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            // Checked again under the lock: an image published since the first look completes no waiter added after it.
            if (IsIssued(producerId)) return ValueTask.FromResult(true);
            if (_waiters.Count >= MaxWaiters) return ValueTask.FromResult(false);
            _waiters.Add((producerId, issued));
        }
        return new ValueTask<bool>(WaitAsync(producerId, issued, cancellationToken));
    }

    /// <summary>Produces waiting now (tests).</summary>
    internal int WaiterCount
    {
        get { lock (_lock) return _waiters.Count; }
    }

    private async Task<bool> WaitAsync(long producerId, TaskCompletionSource<bool> issued, CancellationToken cancellationToken)
    {
        try
        {
            return await issued.Task.WaitAsync(CatchUpWait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return IsIssued(producerId);
        }
        finally
        {
            lock (_lock) _waiters.Remove((producerId, issued));
        }
    }

    private void OnPublished(MetadataImage previous, MetadataImage next)
    {
        if (next.NextProducerId <= previous.NextProducerId) return;
        lock (_lock)
        {
            foreach ((long id, TaskCompletionSource<bool> issued) in _waiters)
            {
                if (id < next.NextProducerId) issued.TrySetResult(true);
            }
        }
    }
}
