using System.Net;
using Gregor.Broker.Configuration;
using Gregor.Broker.Dispatch;
using Gregor.Broker.Handlers;
using Gregor.Protocol;
using Gregor.Protocol.Messages;
using Gregor.Protocol.Primitives;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Gregor.Broker.Network;

/// <summary>
/// One client connection: reads a request, hands it to its API's handler, writes the response, then
/// reads the next. Kafka answers a connection's requests strictly in order, and handling them one
/// at a time gives that for free; pipelined requests wait in the transport's small input buffer and
/// then in the kernel's socket buffer, never in memory of their own. A handler that awaits (a Fetch
/// long poll) holds only its own connection.
/// </summary>
internal sealed class KafkaConnection : IDisposable
{
    private const int Running = 0, BrokerStopping = 1, Idle = 2, ClosedForMemory = 3;

    private readonly ConnectionContext _connection;
    private readonly long _id;
    private readonly EndPoint? _peer;
    private readonly ApiHandlerRegistry _handlers;
    private readonly ILogger _log;
    private readonly FrameReader _frames;
    private readonly ResponseWriter _responses;
    private readonly RequestDeadline _deadline;
    private readonly WriteDeadline _writeDeadline;
    private readonly RequestMemory _memory;
    private readonly CancellationTokenSource _stop = new();
    private readonly long _idleMs;
    private int _stopReason = Running;

    private readonly bool _controllerListener;

    public KafkaConnection(ConnectionContext connection, long id, ApiHandlerRegistry handlers, BrokerConfig config, TimeProvider time,
        RequestMemory memory, FrameBufferPool buffers, ILogger log, bool controllerListener = false)
    {
        _controllerListener = controllerListener;
        _connection = connection;
        _id = id;
        _peer = connection.RemoteEndPoint;
        _handlers = handlers;
        _memory = memory;
        _idleMs = config.ConnectionsMaxIdleMs;
        _log = log;
        _deadline = new RequestDeadline(time, config.ConnectionsMaxIdleMs, () => Stop(Idle));
        _writeDeadline = new WriteDeadline(config.SocketWriteTimeoutMs, time);
        var reservation = new FrameReservation(OnClosedForMemory);
        _frames = new FrameReader(connection.Transport.Input, config.SocketRequestMaxBytes, memory, buffers, reservation, time, _stop.Token);
        _responses = new ResponseWriter(connection.Transport.Output, _writeDeadline);
    }

    /// <summary>The broker is stopping: the request in hand is finished, no further one is read.</summary>
    public void RequestClose() => Stop(BrokerStopping);

    public async Task RunAsync()
    {
        ConnectionLog.Opened(_log, _id, _peer);
        string reason = "closed by peer";
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                _deadline.Start();
                var frame = await _frames.ReadAsync().ConfigureAwait(false);
                if (frame is not (Memory<byte> buffer, int length)) break;
                if (!_deadline.Stop())
                {
                    _frames.Release(buffer); // it completed only after the deadline had fired
                    break;
                }
                if (!await ServeAsync(buffer, length).ConfigureAwait(false))
                {
                    reason = "request refused";
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopped: the reason is logged below.
        }
        catch (FrameRejectedException e)
        {
            reason = "bad frame";
            ConnectionLog.Refused(_log, _id, _peer, e.Message);
        }
        catch (RequestMemoryTimeoutException e)
        {
            reason = "no request memory";
            ConnectionLog.Refused(_log, _id, _peer, e.Message);
        }
        catch (WriteTimeoutException e)
        {
            reason = "write timeout";
            ConnectionLog.Refused(_log, _id, _peer, e.Message);
            // Drop what the client never read instead of waiting to send it on close.
            _connection.Abort(new ConnectionAbortedException(e.Message));
        }
        catch (Exception e) when (e is ConnectionResetException or IOException or OperationCanceledException)
        {
            reason = "connection lost: " + e.Message;
        }
        catch (Exception e)
        {
            reason = "failed";
            ConnectionLog.ConnectionFailed(_log, e, _id, _peer);
        }
        finally
        {
            switch (Volatile.Read(ref _stopReason))
            {
                case Idle:
                    reason = "idle";
                    ConnectionLog.IdleTimeout(_log, _id, _peer, _idleMs);
                    break;
                case BrokerStopping:
                    reason = "broker stopping";
                    break;
                case ClosedForMemory:
                    reason = "closed for memory";
                    break;
            }
            ConnectionLog.Closed(_log, _id, _peer, reason);
        }
    }

    private void Stop(int reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, reason, Running) != Running) return;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // A timer or another connection's eviction arrived as this one finished: nothing left to stop.
        }
    }

    /// <summary>The budget chose this connection's unfinished request to make room for others (see <see cref="RequestMemory"/>).</summary>
    private void OnClosedForMemory(FrameReservation reservation)
    {
        ConnectionLog.ClosedForMemory(_log, _id, _peer, reservation.FrameSize, reservation.Received, reservation.Reserved,
            _memory.Capacity, (long)RequestMemory.EvictAfter.TotalMilliseconds);
        Stop(ClosedForMemory);
    }

    public void Dispose()
    {
        _deadline.Dispose();
        _writeDeadline.Dispose();
        _stop.Dispose();
    }

    /// <summary>Serves one request; false means the connection must close.</summary>
    private async ValueTask<bool> ServeAsync(Memory<byte> buffer, int length)
    {
        RequestContext? context = null;
        short apiKey = 0, apiVersion = 0;
        try
        {
            Memory<byte> frame = buffer[..length];
            RequestFraming.TryPeekApi(frame.Span, out apiKey, out apiVersion);
            var (header, bodyOffset) = ReadHeader(frame);
            IApiHandler? handler = _handlers.Find(apiKey);
            if (handler is null)
            {
                ConnectionLog.Refused(_log, _id, _peer, $"unknown or unsupported API key {apiKey} (v{apiVersion})");
                return false;
            }
            if (apiVersion < handler.LowestVersion || apiVersion > handler.HighestVersion)
                return await RefuseVersionAsync(handler, header).ConfigureAwait(false);

            context = new RequestContext(handler.Api, apiVersion, header.CorrelationId, header.ClientId, _peer, _id, frame) { MaxRequestPartitions = _handlers.MaxRequestPartitions, OnControllerListener = _controllerListener };
            IProtocolStruct? response;
            try
            {
                response = await handler.HandleAsync(context, frame[bodyOffset..], _connection.ConnectionClosed).ConfigureAwait(false);
            }
            catch (ElementLimitExceededException e)
            {
                response = handler.RefusalResponse(apiVersion, ErrorCode.InvalidRequest);
                ConnectionLog.OverFanOutCap(_log, _id, _peer, handler.Api.ToString(), apiVersion, e.Message, response is null ? "closing the connection" : "answered INVALID_REQUEST");
                if (response is null) return false;
            }
            if (response is null) return true; // e.g. Produce with acks=0
            short headerVersion = RequestFraming.ResponseHeaderVersion(apiKey, apiVersion);
            return await _responses.WriteAsync(header.CorrelationId, headerVersion, response, apiVersion, context.DeferredResponseBytes, _connection.ConnectionClosed).ConfigureAwait(false);
        }
        catch (MalformedMessageException e)
        {
            ConnectionLog.Malformed(_log, _id, _peer, apiKey, apiVersion, e.Message);
            return false;
        }
        catch (ResponseCutShortException e)
        {
            ConnectionLog.Refused(_log, _id, _peer, $"{(ApiKey)apiKey} v{apiVersion} response cut short: {e.Message}");
            return false;
        }
        catch (OperationCanceledException) when (_connection.ConnectionClosed.IsCancellationRequested)
        {
            return false;
        }
        catch (Exception e) when (e is not (ConnectionResetException or IOException))
        {
            ConnectionLog.HandlerFailed(_log, e, _id, _peer, ((ApiKey)apiKey).ToString(), apiVersion);
            return false;
        }
        finally
        {
            context?.ReleaseResources();
            _frames.Release(buffer);
        }
    }

    private static (RequestHeader Header, int BodyOffset) ReadHeader(Memory<byte> frame)
    {
        var reader = new ProtocolReader(frame);
        RequestHeader header = RequestFraming.ReadHeader(ref reader, frame.Span);
        return (header, reader.Position);
    }

    /// <summary>
    /// A version the handler does not serve. Kafka answers only ApiVersions (with UNSUPPORTED_VERSION
    /// in a v0 response, so the client can retry with a version it finds there) and closes otherwise.
    /// </summary>
    private async ValueTask<bool> RefuseVersionAsync(IApiHandler handler, RequestHeader header)
    {
        if (handler.Api != ApiKey.ApiVersions)
        {
            ConnectionLog.Refused(_log, _id, _peer, $"{handler.Api} v{header.RequestApiVersion} is not supported (v{handler.LowestVersion}-v{handler.HighestVersion})");
            return false;
        }
        return await _responses.WriteAsync(header.CorrelationId, 0, ApiVersionsHandler.UnsupportedVersionResponse(), 0, 0, _connection.ConnectionClosed).ConfigureAwait(false);
    }
}
