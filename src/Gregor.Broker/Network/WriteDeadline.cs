using System.IO.Pipelines;

namespace Gregor.Broker.Network;

/// <summary>
/// <c>socket.write.timeout.ms</c> for one connection: every flush of response bytes to the socket must finish
/// within it, or <see cref="WriteTimeoutException"/> is thrown and the connection is aborted (its unsent output
/// dropped), so a client that stops reading holds neither the connection nor the response's memory. A flush
/// that completes at once arms nothing; a pending one arms the connection's single reusable timer. Every writer
/// of responses flushes through <see cref="FlushAsync"/>.
/// </summary>
internal sealed class WriteDeadline : IDisposable
{
    private readonly CancellationTokenSource _timeout;
    private readonly TimeSpan _limit;

    public WriteDeadline(long timeoutMs, TimeProvider time)
    {
        // A cancellation timer cannot wait longer than about 49 days.
        _limit = TimeSpan.FromMilliseconds(Math.Min(timeoutMs, uint.MaxValue - 1L));
        _timeout = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
    }

    public long TimeoutMs => (long)_limit.TotalMilliseconds;

    /// <summary>
    /// Flushes <paramref name="output"/>; false when the peer has gone and nothing more can be sent.
    /// <paramref name="cancellationToken"/> (the connection closing) ends a pending flush too.
    /// </summary>
    public async ValueTask<bool> FlushAsync(PipeWriter output, CancellationToken cancellationToken)
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
            using var closed = cancellationToken.UnsafeRegister(static t => ((CancellationTokenSource)t!).Cancel(), _timeout);
            try
            {
                result = await flush.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
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

    public void Dispose() => _timeout.Dispose();
}

/// <summary>A response could not be written within <c>socket.write.timeout.ms</c>: the client is not reading.</summary>
internal sealed class WriteTimeoutException(long timeoutMs)
    : IOException($"a response could not be written within socket.write.timeout.ms ({timeoutMs} ms): the client is not reading");
