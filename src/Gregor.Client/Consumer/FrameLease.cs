using Gregor.Net;

namespace Gregor.Client.Consumer;

/// <summary>
/// A Fetch response frame shared by the partitions whose records point into it. Each holder retains it; the
/// frame goes back to the pool when the last one releases it, so records are read in place, never copied.
/// </summary>
internal sealed class FrameLease
{
    private readonly ResponseFrame _frame;
    private int _holders = 1;

    /// <summary>Starts with one holder: whoever received the frame.</summary>
    public FrameLease(ResponseFrame frame) => _frame = frame;

    public void Retain()
    {
        if (Interlocked.Increment(ref _holders) <= 1)
            throw new InvalidOperationException("a released response frame was retained again");
    }

    public void Release()
    {
        int left = Interlocked.Decrement(ref _holders);
        if (left == 0) _frame.Dispose();
        else if (left < 0) throw new InvalidOperationException("a response frame was released more often than retained");
    }
}
