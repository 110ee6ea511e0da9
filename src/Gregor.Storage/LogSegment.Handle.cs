using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace Gregor.Storage;

/// <summary>
/// The .log file's descriptor: opened on first use, pinned by leases, and closed when cold. Every use of the handle
/// holds a lease — a reader streaming the segment's bytes to a socket long after the log's locks are released, and
/// equally the segment's own reads, appends and flushes. Acquiring a lease opens the file if it is closed; the
/// process-wide <see cref="StorageBudgets.OpenFiles"/> budget closes only handles nobody leases, so many more
/// segments can be served than the process may hold descriptors.
/// </summary>
public sealed partial class LogSegment : IBudgetedResource
{
    /// <summary>Set in <see cref="_leases"/> once the segment is closed for good: no new lease, the last one closes the handle.</summary>
    private const int ClosedFlag = 1 << 30;

    /// <summary>Set in <see cref="_leases"/> while the budget closes an unleased handle; a new lease waits the moment it takes.</summary>
    private const int EvictingFlag = 1 << 29;

    private const int OpenAttempts = 3;

    private readonly ResourceBudget _openFiles;
    private BudgetLink _link;
    // Null while closed (never opened, or closed by the budget).
    private SafeFileHandle? _log;
    // Leases held, plus the flags above.
    private int _leases;

    ref BudgetLink IBudgetedResource.Link => ref _link;

    /// <summary>Whether the .log descriptor is open now.</summary>
    public bool IsHandleOpen => Volatile.Read(ref _log) is not null;

    /// <summary>More .log files are open than the budget allows: every one left is leased, none could be closed.</summary>
    internal bool OpenFilesOverBudget => _openFiles.Held > _openFiles.Capacity;

    /// <summary>The open .log handle; only under a lease (<see cref="TryAcquireLease"/> or <see cref="Lease"/>).</summary>
    internal SafeFileHandle Handle => Volatile.Read(ref _log) ?? throw new InvalidOperationException($"{this}: the .log handle is used without a lease.");

    /// <summary>
    /// Pins the .log handle open (opening the file if the budget closed it or it was never opened), for a reader that
    /// may read after the log's locks are released: closing or deleting the segment meanwhile leaves the handle to the
    /// last lease. False once the segment is closed. Every true is paired with one <see cref="ReleaseLease"/>.
    /// </summary>
    internal bool TryAcquireLease()
    {
        var spin = new SpinWait();
        while (true)
        {
            int state = Volatile.Read(ref _leases);
            if ((state & ClosedFlag) != 0)
                return false;
            if ((state & EvictingFlag) != 0)
            {
                spin.SpinOnce();
                continue;
            }
            if (Interlocked.CompareExchange(ref _leases, state + 1, state) == state)
                break;
        }
        try
        {
            EnsureOpen();
        }
        catch
        {
            ReleaseLease();
            throw;
        }
        return true;
    }

    /// <summary>
    /// A lease for the segment's own use of the handle, for a <c>using</c>; ObjectDisposedException once the segment
    /// is closed (readers then retry on a newer snapshot, as they did when the handle itself was disposed).
    /// </summary>
    internal HandleLease Lease()
    {
        if (!TryAcquireLease())
            throw new ObjectDisposedException(ToString());
        return new HandleLease(this);
    }

    internal void ReleaseLease()
    {
        int state = Interlocked.Decrement(ref _leases);
        Debug.Assert((state & (ClosedFlag - 1)) != ClosedFlag - 1, "a lease was released twice");
        if (state == ClosedFlag)
            CloseHandle();
    }

    /// <summary>Closes the handle now if nobody leases it, else when the last lease is released; no lease is granted after this.</summary>
    private void CloseHandleAfterLastLease()
    {
        if (Interlocked.Add(ref _leases, ClosedFlag) == ClosedFlag)
            CloseHandle();
    }

    /// <summary>The budget's eviction: closes the handle unless it is leased (or closing already). Never waits.</summary>
    bool IBudgetedResource.TryRelease()
    {
        if (Interlocked.CompareExchange(ref _leases, EvictingFlag, 0) != 0)
            return false;
        Interlocked.Exchange(ref _log, null)?.Dispose();
        // Not a plain write: a close of the segment may have added its flag meanwhile.
        int state = Interlocked.Add(ref _leases, -EvictingFlag);
        Debug.Assert(state is 0 or ClosedFlag, "no lease is granted while a handle is being closed");
        return true;
    }

    private void EnsureOpen()
    {
        if (Volatile.Read(ref _log) is not null)
        {
            ResourceBudget.Touch(this);
            return;
        }
        SafeFileHandle opened = OpenLogFile();
        if (Interlocked.CompareExchange(ref _log, opened, null) is not null)
        {
            // Another lease holder opened it first.
            opened.Dispose();
            return;
        }
        _openFiles.Join(this);
        _openFiles.TrimToCapacity(spare: this);
    }

    private SafeFileHandle OpenLogFile()
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return File.OpenHandle(LogPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            }
            catch (FileNotFoundException) when (attempt < OpenAttempts && !IsClosed)
            {
                // Renamed (to .deleted, .swap, ...) between reading the path and opening it: the path is read again.
                Thread.Yield();
            }
            catch (FileNotFoundException error) when (IsClosed)
            {
                // Deleted after it was closed: the reader retries on a newer snapshot, as for a closed handle.
                throw new ObjectDisposedException(ToString(), error);
            }
        }
    }

    private void CloseHandle()
    {
        SafeFileHandle? handle = Interlocked.Exchange(ref _log, null);
        if (handle is null)
            return;
        handle.Dispose();
        _openFiles.Leave(this);
    }

    /// <summary>Releases a lease taken by <see cref="Lease"/> when its <c>using</c> ends.</summary>
    internal readonly struct HandleLease(LogSegment segment) : IDisposable
    {
        public void Dispose() => segment.ReleaseLease();
    }
}
