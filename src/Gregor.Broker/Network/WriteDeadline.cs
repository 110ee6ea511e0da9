using System.IO.Pipelines;

namespace Gregor.Broker.Network;

/// <summary>
/// <c>socket.write.timeout.ms</c> for one connection: every flush of response bytes to the socket must finish
/// within it, or <see cref="WriteTimeoutException"/> is thrown and the connection is aborted (its unsent output
/// dropped), so a client that stops reading holds neither the connection nor the response's memory. A flush
/// that completes at once arms nothing; a pending one arms the connection's single reusable timer.
/// Every writer of responses flushes through <see cref="FlushAsync"/>.
/// </summary>
internal sealed class WriteDeadline : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly CancellationToken _connectionClosed;
    private readonly CancellationTokenRegistration _closedRegistration;
    private readonly TimeSpan _limit;

    public WriteDeadline(long timeoutMs, TimeProvider time, CancellationToken connectionClosed)
    {
        _limit = TimeSpan.FromMilliseconds(timeoutMs);
        _connectionClosed = connectionClosed;
        _timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        // A peer that goes away ends a pending flush too, through the same token.
        _closedRegistration = connectionClosed.Register(static t => ((CancellationTokenSource)t!).Cancel(), _timeout);
    }

    public long TimeoutMs => (long)_limit.TotalMilliseconds;

    /// <summary>Flushes <paramref name="output"/>; false when the peer has gone and nothing more can be sent.</summary>
    public async ValueTask<bool> FlushAsync(PipeWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ValueTask<FlushResult> flush = output.FlushAsync(_timeout.Token);
        FlushResult result;
        if (flush.IsCompletedSuccessfully)
        {
            result = flush.Result;
        }
        else
        {
            _timeout.CancelAfter(_limit);
            try
            {
                result = await flush.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!_connectionClosed.IsCancellationRequested)
            {
                throw new WriteTimeoutException(TimeoutMs);
            }
            finally
            {
                _timeout.CancelAfter(Timeout.InfiniteTimeSpan);
            }
        }
        return !result.IsCompleted && !result.IsCanceled;
    }

    public void Dispose()
    {
        _closedRegistration.Dispose();
        _timeout.Dispose();
    }
}

/// <summary>A response could not be written within <c>socket.write.timeout.ms</c>: the client is not reading.</summary>
internal sealed class WriteTimeoutException(long timeoutMs)
    : IOException($"a response could not be written within socket.write.timeout.ms ({timeoutMs} ms): the client is not reading");
