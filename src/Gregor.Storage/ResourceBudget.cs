namespace Gregor.Storage;

/// <summary>
/// Something that holds one unit of a budgeted OS resource (an open descriptor, a memory mapping) and can give
/// it back when idle, taking it again on its next use.
/// </summary>
internal interface IBudgetedResource
{
    /// <summary>The holder's place in its budget's ring; only the budget reads or writes it, under its lock.</summary>
    ref BudgetLink Link { get; }

    /// <summary>
    /// Gives the resource back if nobody is using it. Called under the budget's lock, so it must not block: it
    /// try-locks the holder and returns false when that fails or the resource is in use.
    /// </summary>
    bool TryRelease();
}

/// <summary>A holder's links in the clock ring and its "used since the hand passed" bit.</summary>
internal struct BudgetLink
{
    public IBudgetedResource? Next;
    public IBudgetedResource? Previous;
    public bool InRing;
    public bool Referenced;
}

/// <summary>
/// A cap on how many units of one OS resource the logs of this process hold at once. A holder joins when it
/// takes the resource and leaves when it gives it back; while more are held than <see cref="Capacity"/>, idle
/// holders are asked to give theirs back in clock (second-chance) order, so one used since the hand last passed
/// keeps its resource a round longer. The cap is soft: a holder in use is never made to let go, so the count
/// can pass the capacity for as long as that many are in use at once.
/// </summary>
/// <remarks>
/// Lock order: a holder may join or leave while holding its own lock; the budget only ever try-locks holders
/// (through <see cref="IBudgetedResource.TryRelease"/>), so the two never wait on each other.
/// </remarks>
public sealed class ResourceBudget
{
    private readonly object _lock = new();
    private IBudgetedResource? _hand;
    private int _held;
    private int _capacity;
    private long _released;

    public ResourceBudget(string name, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Name = name;
        _capacity = capacity;
    }

    /// <summary>What is counted, for messages: "open log files", "index mappings".</summary>
    public string Name { get; }

    /// <summary>How many may be held before idle holders are asked to let go. Lowering it trims at once.</summary>
    public int Capacity
    {
        get => Volatile.Read(ref _capacity);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _capacity, value);
            TrimToCapacity();
        }
    }

    /// <summary>How many are held now.</summary>
    public int Held => Volatile.Read(ref _held);

    /// <summary>How many times a holder gave its resource back because the budget was full.</summary>
    public long Released => Interlocked.Read(ref _released);

    /// <summary>
    /// Counts a holder that has just taken the resource (no-op if already counted). It does not trim: the caller
    /// calls <see cref="TrimToCapacity"/> once it holds none of its own locks.
    /// </summary>
    internal void Join(IBudgetedResource holder)
    {
        lock (_lock)
        {
            ref BudgetLink link = ref holder.Link;
            link.Referenced = true;
            if (link.InRing)
                return;
            link.InRing = true;
            if (_hand is null)
            {
                link.Next = holder;
                link.Previous = holder;
                _hand = holder;
            }
            else
            {
                // Just behind the hand: the newest holder is the last the hand reaches.
                IBudgetedResource previous = _hand.Link.Previous!;
                link.Next = _hand;
                link.Previous = previous;
                previous.Link.Next = holder;
                _hand.Link.Previous = holder;
            }
            _held++;
        }
    }

    /// <summary>Uncounts a holder that gave its resource back on its own (closed, disposed, remapped).</summary>
    internal void Leave(IBudgetedResource holder)
    {
        lock (_lock)
            Unlink(holder);
    }

    /// <summary>Marks a holder as used, so the next pass of the hand spares it. Lock-free: a lost race only costs precision.</summary>
    internal static void Touch(IBudgetedResource holder)
    {
        ref BudgetLink link = ref holder.Link;
        if (!link.Referenced)
            link.Referenced = true;
    }

    /// <summary>While over capacity, asks idle holders to let go: at most two turns of the hand, then gives up (all in use).</summary>
    public void TrimToCapacity() => TrimToCapacity(spare: null);

    /// <summary>
    /// <see cref="TrimToCapacity()"/> sparing <paramref name="spare"/>: a holder that has just taken its resource to use
    /// it, which must not be the one chosen when everything else is in use (it would take it again, and again).
    /// </summary>
    internal void TrimToCapacity(IBudgetedResource? spare)
    {
        if (Volatile.Read(ref _held) <= Volatile.Read(ref _capacity))
            return;
        lock (_lock)
        {
            int steps = 2 * _held;
            while (_held > _capacity && steps-- > 0 && _hand is not null)
            {
                IBudgetedResource candidate = _hand;
                ref BudgetLink link = ref candidate.Link;
                _hand = link.Next;
                if (link.Referenced)
                {
                    link.Referenced = false;
                    continue;
                }
                if (!ReferenceEquals(candidate, spare) && candidate.TryRelease())
                {
                    Unlink(candidate);
                    _released++;
                }
            }
        }
    }

    private void Unlink(IBudgetedResource holder)
    {
        ref BudgetLink link = ref holder.Link;
        if (!link.InRing)
            return;
        if (ReferenceEquals(link.Next, holder))
        {
            _hand = null;
        }
        else
        {
            link.Previous!.Link.Next = link.Next;
            link.Next!.Link.Previous = link.Previous;
            if (ReferenceEquals(_hand, holder))
                _hand = link.Next;
        }
        link = default;
        _held--;
    }

    public override string ToString() => $"{Name}: {Held} of {Capacity}";
}
