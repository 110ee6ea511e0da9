namespace Gregor.Metadata.Controller;

/// <summary>
/// What the active controller knows of each broker's session and keeps only in memory, never in the log (as Kafka's
/// BrokerHeartbeatManager): when it last heard from the broker, the metadata offset the broker last reported, and
/// where its controlled shutdown started. Fenced or not, and in controlled shutdown or not, are the image's.
/// A controller that becomes active gives every registered broker a fresh session, since it cannot know when the
/// previous controller last heard from it.
/// </summary>
internal sealed class BrokerSessions(TimeProvider time)
{
    private readonly Dictionary<int, Session> _sessions = [];

    private sealed class Session(long lastContact)
    {
        public long LastContact { get; set; } = lastContact;

        public long MetadataOffset { get; set; } = -1;

        /// <summary>The log end offset when it entered controlled shutdown; -1 when it is not shutting down.</summary>
        public long ControlledShutdownOffset { get; set; } = -1;
    }

    /// <summary>Forgets every session and starts a fresh one for each of <paramref name="brokerIds"/>.</summary>
    public void Reset(IEnumerable<int> brokerIds)
    {
        _sessions.Clear();
        foreach (int id in brokerIds)
            _sessions[id] = new Session(time.GetTimestamp());
    }

    /// <summary>A new session for a broker that has just registered (a new incarnation starts from nothing).</summary>
    public void Start(int brokerId) => _sessions[brokerId] = new Session(time.GetTimestamp());

    public void Remove(int brokerId) => _sessions.Remove(brokerId);

    /// <summary>A heartbeat arrived: the broker is alive now and has applied the metadata up to <paramref name="metadataOffset"/>.</summary>
    public void Touch(int brokerId, bool fenced, long metadataOffset)
    {
        var session = Get(brokerId);
        session.LastContact = time.GetTimestamp();
        session.MetadataOffset = metadataOffset;
        // A fenced broker is out of controlled shutdown: if it still wants to shut down, it may at once.
        if (fenced) session.ControlledShutdownOffset = -1;
    }

    /// <summary>The broker was fenced by the controller (its session expired): any controlled shutdown is over.</summary>
    public void Fenced(int brokerId)
    {
        if (_sessions.TryGetValue(brokerId, out var session)) session.ControlledShutdownOffset = -1;
    }

    /// <summary>An unfenced broker's session is valid while its last contact is no older than the session timeout.</summary>
    public bool IsValid(int brokerId, BrokerRegistration registration, TimeSpan timeout) =>
        !registration.Fenced && _sessions.TryGetValue(brokerId, out var session) && time.GetElapsedTime(session.LastContact) <= timeout;

    public bool IsShuttingDown(int brokerId) => _sessions.TryGetValue(brokerId, out var s) && s.ControlledShutdownOffset >= 0;

    /// <summary>Records where a controlled shutdown started, the first time only.</summary>
    public void EnterControlledShutdown(int brokerId, long offset)
    {
        var session = Get(brokerId);
        if (session.ControlledShutdownOffset < 0) session.ControlledShutdownOffset = offset;
    }

    public long ControlledShutdownOffset(int brokerId) => Get(brokerId).ControlledShutdownOffset;

    /// <summary>
    /// The lowest metadata offset reported by an active broker (unfenced, not shutting down), or long.MaxValue when
    /// there is none: a broker's shutdown waits until every active broker has seen its leadership move. Brokers in
    /// <paramref name="current"/> read the controller's own image, so they have always seen it.
    /// </summary>
    public long LowestActiveOffset(MetadataImage image, IReadOnlySet<int> current)
    {
        long lowest = long.MaxValue;
        foreach (var (id, session) in _sessions)
        {
            if (session.ControlledShutdownOffset >= 0 || current.Contains(id)) continue;
            if (!image.Brokers.TryGetValue(id, out var registration) || registration.Fenced) continue;
            lowest = Math.Min(lowest, session.MetadataOffset);
        }
        return lowest;
    }

    /// <summary>Unfenced brokers whose session is older than <paramref name="timeout"/>, the longest silent first.</summary>
    public IReadOnlyList<int> Expired(MetadataImage image, TimeSpan timeout, IReadOnlySet<int> exempt) =>
        [.. _sessions
            .Where(s => !exempt.Contains(s.Key)
                && image.Brokers.TryGetValue(s.Key, out var registration) && !registration.Fenced
                && time.GetElapsedTime(s.Value.LastContact) > timeout)
            .OrderBy(s => s.Value.LastContact)
            .ThenBy(s => s.Key)
            .Select(s => s.Key)];

    private Session Get(int brokerId)
    {
        if (!_sessions.TryGetValue(brokerId, out var session))
        {
            session = new Session(time.GetTimestamp());
            _sessions[brokerId] = session;
        }
        return session;
    }
}
