using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Net.Sockets;
using Gregor.Protocol;
using WireErrorCode = Gregor.Protocol.ErrorCode;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;

namespace Gregor.Net;

/// <summary>
/// One TCP connection to a Kafka node (a broker or controller). Requests are framed into pooled
/// buffers and written one at a time; many may be in flight, and since a node answers in request
/// order, each response is matched to the oldest pending request and its correlation id checked.
/// The first thing on a new connection is ApiVersions, and afterwards only negotiated versions are
/// spoken. Any failure (I/O, a bad frame, a request timeout) closes the connection and fails
/// everything in flight with a <see cref="BrokerConnectionException"/>: after a lost or late
/// response the stream cannot be trusted to stay in step. Safe for concurrent use.
/// </summary>
public sealed class BrokerConnection : IAsyncDisposable
{
    private const short ApiVersionsFirstTry = 3;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly ConnectionSettings _settings;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentQueue<PendingRequest> _pending = new();
    private readonly RequestHeader _header = new();
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ITimer _timeoutTimer;
    private Exception? _failure;
    private int _correlationId;
    private readonly Lock _timerLock = new();
    private TimeSpan _timerPeriod;
    // Set once a request carries its own timeout: deadlines are then no longer in queue order.
    private volatile bool _unorderedDeadlines;
    private NegotiatedVersions? _versions;

    private BrokerConnection(Socket socket, BrokerEndpoint endpoint, ConnectionSettings settings)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _settings = settings;
        Endpoint = endpoint;
        _header.ClientId = settings.ClientId;
        _timerPeriod = TimerPeriod(settings.RequestTimeout);
        _timeoutTimer = settings.Clock.CreateTimer(static s => ((BrokerConnection)s!).CheckTimeouts(), this, _timerPeriod, _timerPeriod);
    }

    public BrokerEndpoint Endpoint { get; }

    public NegotiatedVersions Versions => _versions ?? throw new InvalidOperationException("ApiVersions has not completed");

    public bool IsAlive => _failure is null;

    /// <summary>Why the connection closed (the exception its pending requests failed with), or null while it is open.</summary>
    public Exception? CloseReason => Volatile.Read(ref _failure);

    /// <summary>Completes when the connection closes, for whatever reason.</summary>
    public Task Closed => _closed.Task;

    /// <summary>How often pending requests are checked against their deadlines: a tenth of the timeout, within 10 ms to 1 s.</summary>
    private static TimeSpan TimerPeriod(TimeSpan timeout) => TimeSpan.FromMilliseconds(Math.Clamp(timeout.TotalMilliseconds / 10, 10, 1000));

    /// <summary>Connects, negotiates API versions, and returns a connection ready for requests.</summary>
    public static async Task<BrokerConnection> ConnectAsync(BrokerEndpoint endpoint, ConnectionSettings settings, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(settings.ConnectTimeout);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        BrokerConnection? connection = null;
        try
        {
            await socket.ConnectAsync(endpoint.Host, endpoint.Port, timeout.Token).ConfigureAwait(false);
            connection = new BrokerConnection(socket, endpoint, settings);
            _ = connection.ReadLoopAsync();
            await connection.NegotiateAsync(timeout.Token).ConfigureAwait(false);
            return connection;
        }
        catch (Exception e)
        {
            if (connection is not null) await connection.DisposeAsync().ConfigureAwait(false);
            else socket.Dispose();
            if (e is BrokerConnectionException) throw;
            if (e is OperationCanceledException && cancellationToken.IsCancellationRequested) throw;
            string why = e is OperationCanceledException ? $"no answer within {settings.ConnectTimeout.TotalMilliseconds} ms" : e.Message;
            throw new BrokerConnectionException(WireErrorCode.NetworkException, $"connecting to {endpoint} failed: {why}", e);
        }
    }

    /// <summary>
    /// ApiVersions v3 first, as librdkafka does; a broker that does not know v3 answers with
    /// UNSUPPORTED_VERSION in a v0 body, and then v0 is asked.
    /// </summary>
    private async Task NegotiateAsync(CancellationToken cancellationToken)
    {
        var request = new ApiVersionsRequest { ClientSoftwareName = _settings.SoftwareName, ClientSoftwareVersion = _settings.SoftwareVersion };
        short key = (short)ApiKey.ApiVersions;
        using (var frame = await SendFrameAsync(key, ApiVersionsFirstTry, request, expectResponse: true, cancellationToken).ConfigureAwait(false))
        {
            if (ReadApiVersionsErrorCode(frame!) != WireErrorCode.UnsupportedVersion)
            {
                Accept(frame!.Decode<ApiVersionsResponse>(key, ApiVersionsFirstTry));
                return;
            }
        }
        using var fallback = await SendFrameAsync(key, 0, request, expectResponse: true, cancellationToken).ConfigureAwait(false);
        Accept(fallback!.Decode<ApiVersionsResponse>(key, 0));
    }

    private static WireErrorCode ReadApiVersionsErrorCode(ResponseFrame frame)
    {
        // Response header v0 (correlation id), then the error code: the same in every version.
        var span = frame.Memory.Span;
        if (span.Length < 6) throw new MalformedMessageException("an ApiVersions response too short for its error code");
        return (WireErrorCode)BinaryPrimitives.ReadInt16BigEndian(span[4..]);
    }

    private void Accept(ApiVersionsResponse response)
    {
        if (response.ErrorCode != (short)WireErrorCode.None)
            throw new BrokerConnectionException(WireErrorCode.NetworkException, $"{Endpoint} refused ApiVersions: {((WireErrorCode)response.ErrorCode).KafkaName()}");
        _versions = NegotiatedVersions.From(response);
    }

    /// <summary>
    /// Sends a request at <paramref name="version"/> (at most the negotiated one, see <see cref="Versions"/>)
    /// and decodes its response, within the settings' request timeout.
    /// </summary>
    public Task<TResponse> SendAsync<TRequest, TResponse>(TRequest request, short version, CancellationToken cancellationToken = default)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : IProtocolMessage<TResponse> =>
        SendAsync<TRequest, TResponse>(request, version, _settings.RequestTimeout, cancellationToken);

    /// <summary>
    /// As <see cref="SendAsync{TRequest, TResponse}(TRequest, short, CancellationToken)"/>, with this
    /// request's own timeout (a long-polling Fetch, say). Unanswered after it, the request closes the connection.
    /// </summary>
    public async Task<TResponse> SendAsync<TRequest, TResponse>(TRequest request, short version, TimeSpan timeout, CancellationToken cancellationToken = default)
        where TRequest : IProtocolMessage<TRequest>
        where TResponse : IProtocolMessage<TResponse>
    {
        short key = TRequest.Descriptor.ApiKey;
        // A decoded Fetch keeps its records as slices of the frame, which goes back to the pool here.
        if (key == (short)ApiKey.Fetch) throw new InvalidOperationException("Fetch responses must be read with SendFrameAsync, which leaves the frame to the caller");
        using var frame = await SendFrameAsync(key, version, request, expectResponse: true, timeout, cancellationToken).ConfigureAwait(false);
        return frame!.Decode<TResponse>(key, version);
    }

    /// <summary>
    /// Writes a request; returns its response frame (owned by the caller), or null at once when
    /// no response is expected (Produce with acks=0). Cancellation stops the wait, not the
    /// request: a response that arrives later is dropped.
    /// </summary>
    public Task<ResponseFrame?> SendFrameAsync<TRequest>(short apiKey, short version, TRequest request, bool expectResponse, CancellationToken cancellationToken = default)
        where TRequest : IProtocolStruct =>
        SendFrameAsync(apiKey, version, request, expectResponse, _settings.RequestTimeout, cancellationToken);

    /// <summary>As <see cref="SendFrameAsync{TRequest}(short, short, TRequest, bool, CancellationToken)"/>, with this request's own timeout.</summary>
    public async Task<ResponseFrame?> SendFrameAsync<TRequest>(short apiKey, short version, TRequest request, bool expectResponse, TimeSpan timeout, CancellationToken cancellationToken = default)
        where TRequest : IProtocolStruct
    {
        if (apiKey != (short)ApiKey.ApiVersions && !Versions.TryGetHighest((ApiKey)apiKey, out short highest) | version > highest)
            throw new BrokerApiUnsupportedException((ApiKey)apiKey);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        if (timeout != _settings.RequestTimeout) UseOwnTimeout(timeout);
        ThrowIfClosed();
        PendingRequest? pending = null;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        byte[]? buffer = null;
        try
        {
            ThrowIfClosed();
            short headerVersion = RequestFraming.RequestHeaderVersion(apiKey, version);
            int correlationId = unchecked(++_correlationId) & int.MaxValue;
            _header.RequestApiKey = apiKey;
            _header.RequestApiVersion = version;
            _header.CorrelationId = correlationId;
            int size = _header.Size(headerVersion) + request.Size(version);
            buffer = ArrayPool<byte>.Shared.Rent(size + 4);
            BinaryPrimitives.WriteInt32BigEndian(buffer, size);
            var writer = new ProtocolWriter(buffer.AsSpan(4, size));
            _header.Write(ref writer, headerVersion);
            request.Write(ref writer, version);
            if (writer.Position != size) throw new InvalidOperationException($"request {apiKey} v{version} wrote {writer.Position} bytes but sized {size}");
            if (expectResponse)
            {
                long now = _settings.Clock.GetTimestamp();
                double ticks = timeout.TotalSeconds * _settings.Clock.TimestampFrequency;
                long deadline = ticks < long.MaxValue - now ? now + (long)ticks : long.MaxValue;
                pending = new PendingRequest(correlationId, apiKey, version, deadline, timeout);
                _pending.Enqueue(pending);
            }
            try
            {
                // Not cancellable: a half-written frame would desynchronise the stream.
                await _stream.WriteAsync(buffer.AsMemory(0, size + 4), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
                Fail(new BrokerConnectionException(WireErrorCode.NetworkException, $"writing to {Endpoint} failed: {e.Message}", e));
                throw _failure!;
            }
        }
        finally
        {
            // A failure racing this write may have drained the queue before our request joined it.
            if (_failure is { } failure) FailPending(failure);
            _writeLock.Release();
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
        if (pending is null) return null;
        try
        {
            return await pending.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The reader still completes it; dispose a response nobody will read.
            _ = pending.Task.ContinueWith(static t => { if (t.IsCompletedSuccessfully) t.Result.Dispose(); }, TaskScheduler.Default);
            throw;
        }
    }

    private void ThrowIfClosed()
    {
        if (_failure is { } failure) throw new BrokerConnectionException(WireErrorCode.NetworkException, $"connection to {Endpoint} is closed: {failure.Message}", failure);
    }

    private async Task ReadLoopAsync()
    {
        byte[] sizeBytes = new byte[4];
        try
        {
            while (true)
            {
                await _stream.ReadExactlyAsync(sizeBytes).ConfigureAwait(false);
                int size = BinaryPrimitives.ReadInt32BigEndian(sizeBytes);
                if (size < 4 || size > _settings.MaxResponseSize)
                    throw new BrokerConnectionException(WireErrorCode.NetworkException, $"{Endpoint} sent a response frame of {size} bytes (limit {_settings.MaxResponseSize})");
                byte[] buffer = ArrayPool<byte>.Shared.Rent(size);
                var frame = new ResponseFrame(buffer, size);
                try
                {
                    await _stream.ReadExactlyAsync(buffer.AsMemory(0, size)).ConfigureAwait(false);
                    int correlationId = BinaryPrimitives.ReadInt32BigEndian(buffer);
                    // Peek first: on a mismatch the request stays queued, so closing the connection fails it too.
                    if (!_pending.TryPeek(out var pending))
                        throw new BrokerConnectionException(WireErrorCode.NetworkException, $"{Endpoint} sent a response (correlation id {correlationId}) to no request");
                    if (pending.CorrelationId != correlationId)
                        throw new BrokerConnectionException(WireErrorCode.NetworkException, $"{Endpoint} answered correlation id {correlationId} where {pending.CorrelationId} was due");
                    _pending.TryDequeue(out _);
                    if (!pending.TrySetResult(frame)) frame.Dispose();
                }
                catch
                {
                    frame.Dispose();
                    throw;
                }
            }
        }
        catch (Exception e)
        {
            Fail(e as BrokerConnectionException ?? new BrokerConnectionException(WireErrorCode.NetworkException,
                e is EndOfStreamException ? $"{Endpoint} closed the connection" : $"reading from {Endpoint} failed: {e.Message}", e));
        }
    }

    /// <summary>
    /// A request with a timeout other than the settings' one: from now on every pending request is
    /// checked, not just the oldest, and often enough for the shortest timeout seen.
    /// </summary>
    private void UseOwnTimeout(TimeSpan timeout)
    {
        _unorderedDeadlines = true;
        var period = TimerPeriod(timeout);
        lock (_timerLock)
        {
            if (period >= _timerPeriod || _failure is not null) return;
            _timerPeriod = period;
            try
            {
                _timeoutTimer.Change(period, period);
            }
            catch (ObjectDisposedException)
            {
                // closed meanwhile: nothing left to time out
            }
        }
    }

    private void CheckTimeouts()
    {
        long now = _settings.Clock.GetTimestamp();
        PendingRequest? late = null;
        if (_unorderedDeadlines)
        {
            foreach (var pending in _pending)
                if (now > pending.DeadlineTimestamp) { late = pending; break; }
        }
        else if (_pending.TryPeek(out var oldest) && now > oldest.DeadlineTimestamp)
        {
            late = oldest;
        }
        if (late is not null)
            Fail(new BrokerConnectionException(WireErrorCode.RequestTimedOut,
                $"{Endpoint} did not answer {(ApiKey)late.ApiKey} v{late.ApiVersion} within {late.Timeout.TotalMilliseconds} ms"));
    }

    /// <summary>Closes the connection and fails every request still waiting, with the first reason.</summary>
    private void Fail(Exception reason)
    {
        if (Interlocked.CompareExchange(ref _failure, reason, null) is not null) return;
        _timeoutTimer.Dispose();
        _socket.Dispose();
        FailPending(reason);
        _closed.TrySetResult();
    }

    private void FailPending(Exception reason)
    {
        while (_pending.TryDequeue(out var pending)) pending.TrySetException(reason);
    }

    public ValueTask DisposeAsync()
    {
        Fail(new BrokerConnectionException(WireErrorCode.NetworkException, $"connection to {Endpoint} was closed by the client"));
        _stream.Dispose();
        return ValueTask.CompletedTask;
    }
}
