namespace Gregor.Metadata;

/// <summary>
/// The broker's <see cref="IMetadataView"/>: holds the current image and hands each new one to the
/// subscribers, in the order published and one at a time, so a listener sees every change exactly once.
/// </summary>
public sealed class MetadataPublisher : IMetadataView
{
    private readonly object _publishLock = new();
    private readonly List<Action<MetadataImage, MetadataImage>> _subscribers = [];
    private MetadataImage _current;

    public MetadataPublisher(MetadataImage initial)
    {
        ArgumentNullException.ThrowIfNull(initial);
        _current = initial;
    }

    public MetadataImage Current => Volatile.Read(ref _current);

    /// <summary>
    /// Subscribes. A subscriber added after records were folded in (the replay at start may run before
    /// or after the data plane subscribes) is called at once with an empty image and the current one, so
    /// it catches up on what already exists through the same difference it handles later.
    /// </summary>
    public void Subscribe(Action<MetadataImage, MetadataImage> onPublished)
    {
        ArgumentNullException.ThrowIfNull(onPublished);
        lock (_publishLock)
        {
            _subscribers.Add(onPublished);
            MetadataImage current = _current;
            if (current.Offset >= 0)
                onPublished(MetadataImage.Empty(current.ClusterId, current.ControllerId), current);
        }
    }

    /// <summary>
    /// Publishes <paramref name="next"/> unless the current image is already as new (another path published the same
    /// or a later fold first); returns whether it did. For folds that race, such as the controller's after a commit
    /// and the loader's after the high watermark moved.
    /// </summary>
    public bool PublishIfNewer(MetadataImage next)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_publishLock)
        {
            if (next.Offset <= _current.Offset) return false;
            Publish(next);
            return true;
        }
    }

    /// <summary>Makes <paramref name="next"/> current and tells every subscriber, in subscription order.</summary>
    public void Publish(MetadataImage next)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_publishLock)
        {
            MetadataImage previous = _current;
            if (next.Offset < previous.Offset)
                throw new InvalidOperationException($"image at offset {next.Offset} published after {previous.Offset}");
            Volatile.Write(ref _current, next);
            foreach (var subscriber in _subscribers)
                subscriber(previous, next);
        }
    }
}
