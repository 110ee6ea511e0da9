using Gregor.Metadata.Records;
using Gregor.Protocol.Primitives;

namespace Gregor.Metadata.Controller;

/// <summary>
/// The controller: turns admin operations into metadata records, one operation at a time. Each operation
/// reads the current image, checks the request against it, and emits records; the records are committed
/// as one batch through the <see cref="IMetadataJournal"/> (the local log now, a Raft quorum later) and
/// only then folded into the published image — so what a client is told was done is durable.
/// Time and randomness (topic ids, placement) are injected so tests replay exactly.
/// </summary>
public sealed partial class QuorumController : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly MetadataPublisher _publisher;
    private readonly ControllerSettings _settings;
    private readonly TimeProvider _time;
    private readonly Random _random;
    private readonly IReplicaCapacity? _capacity;
    private readonly BrokerSessions _sessions;
    private readonly UncleanRecoveries _recoveries;
    private IMetadataJournal? _journal;

    /// <param name="capacity">Asked before partitions are created; null places partitions without limit.</param>
    public QuorumController(MetadataPublisher publisher, ControllerSettings settings, TimeProvider time, Random random, IReplicaCapacity? capacity = null)
    {
        ArgumentNullException.ThrowIfNull(publisher);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(random);
        _publisher = publisher;
        _settings = settings;
        _time = time;
        _random = random;
        _capacity = capacity;
        _sessions = new BrokerSessions(time);
        _recoveries = new UncleanRecoveries(time);
    }

    public ControllerSettings Settings => _settings;

    public bool IsActive => Volatile.Read(ref _journal) is not null;

    /// <summary>Becomes the active controller over <paramref name="journal"/>, whose records are already folded into <paramref name="replayed"/>.</summary>
    public void Activate(IMetadataJournal journal, MetadataImage replayed)
    {
        ArgumentNullException.ThrowIfNull(journal);
        ArgumentNullException.ThrowIfNull(replayed);
        _gate.Wait();
        try
        {
            _publisher.Publish(replayed);
            _sessions.Reset(replayed.Brokers.Keys);
            _recoveries.Reset();
            Volatile.Write(ref _journal, journal);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stops accepting operations (the journal is about to close).</summary>
    public void Deactivate()
    {
        _gate.Wait();
        try
        {
            Volatile.Write(ref _journal, null);
            _inProcessBrokers.Clear();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Runs one operation under the controller's lock; commits its records unless <paramref name="commit"/> is false (validate_only).</summary>
    private async Task<T> RunAsync<T>(bool commit, CancellationToken cancellationToken, Func<PendingOperation, T> operation)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            IMetadataJournal journal = Volatile.Read(ref _journal)
                ?? throw new ControllerNotActiveException("The controller is not active (the broker is starting or stopping).");
            var pending = new PendingOperation(_publisher.Current);
            T result = operation(pending);
            if (commit && pending.Records.Count > 0)
            {
                // What is published is the fold of what committed, not the operation's own working image: the
                // same fold a restart replays. The two must agree; a difference is a bug in the fold or the log.
                long lastOffset = journal.Append(pending.Records);
                MetadataImage committed = journal.CatchUp(_publisher.Current);
                if (committed.Offset != lastOffset)
                    throw new MetadataLogCorruptException($"the operation's records end at offset {lastOffset}, the committed log folds to {committed.Offset}");
                _publisher.PublishIfNewer(committed);
            }
            if (commit)
                pending.Committed(_publisher.Current.Offset);
            return result;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    /// <summary>The records an operation has emitted so far and the image they lead to, so later checks in the same request see earlier changes.</summary>
    private sealed class PendingOperation(MetadataImage image)
    {
        public MetadataImage Image { get; private set; } = image;

        public List<IMetadataRecord> Records { get; } = [];

        private List<Action<long>>? _afterCommit;

        public void Add(IMetadataRecord record)
        {
            Records.Add(record);
            Image = Image.Apply(record, Image.Offset);
        }

        /// <summary>Runs <paramref name="action"/>, still under the controller's lock, with the offset the log ends at once the operation committed.</summary>
        public void AfterCommit(Action<long> action) => (_afterCommit ??= []).Add(action);

        public void Committed(long endOffset)
        {
            foreach (var action in _afterCommit ?? [])
                action(endOffset);
        }
    }
}

/// <summary>An operation reached the controller while it was not active.</summary>
public sealed class ControllerNotActiveException(string message) : Exception(message);
