using System.Buffers.Binary;
using Gregor.Protocol.Primitives;

namespace Gregor.Protocol.Messages;

/// <summary>
/// Which header version goes with which API version, and reading the header off a request frame.
/// A flexible request uses request header v2 and response header v1; older ones header v1 and v0.
/// ApiVersions answers with response header v0 at every version, because a client that does
/// not yet know what the broker speaks must be able to read the answer.
/// </summary>
public static class RequestFraming
{
    private static readonly MessageDescriptor?[] Requests = BuildRequestTable();

    private static MessageDescriptor?[] BuildRequestTable()
    {
        var table = new MessageDescriptor?[128];
        foreach (var d in MessageCatalog.All)
            if (d.Kind == "request" && d.ApiKey >= 0 && d.ApiKey < table.Length) table[d.ApiKey] = d;
        return table;
    }

    /// <summary>The generated request for an API key, or null if Gregor has no schema for it.</summary>
    public static MessageDescriptor? RequestDescriptor(short apiKey) =>
        apiKey >= 0 && apiKey < Requests.Length ? Requests[apiKey] : null;

    public static bool IsSupported(short apiKey, short apiVersion) =>
        RequestDescriptor(apiKey) is { } d && apiVersion >= d.LowestVersion && apiVersion <= d.HighestVersion;

    public static short RequestHeaderVersion(short apiKey, short apiVersion) =>
        RequestDescriptor(apiKey) is { } d && d.IsFlexible(apiVersion) ? (short)2 : (short)1;

    public static short ResponseHeaderVersion(short apiKey, short apiVersion)
    {
        if (apiKey == (short)ApiKey.ApiVersions) return 0;
        return RequestDescriptor(apiKey) is { } d && d.IsFlexible(apiVersion) ? (short)1 : (short)0;
    }

    /// <summary>API key and version are the first four bytes of every request, whatever its header version.</summary>
    public static bool TryPeekApi(ReadOnlySpan<byte> frame, out short apiKey, out short apiVersion)
    {
        if (frame.Length < 4)
        {
            apiKey = apiVersion = 0;
            return false;
        }
        apiKey = BinaryPrimitives.ReadInt16BigEndian(frame);
        apiVersion = BinaryPrimitives.ReadInt16BigEndian(frame[2..]);
        return true;
    }

    /// <summary>
    /// Reads the request header in the version its API and version imply (v1 for an API Gregor does
    /// not know, so the correlation id can still be answered) and leaves the reader at the body.
    /// </summary>
    public static RequestHeader ReadHeader(ref ProtocolReader reader, ReadOnlySpan<byte> frame)
    {
        if (!TryPeekApi(frame, out short apiKey, out short apiVersion))
            throw new MalformedMessageException($"a request frame of {frame.Length} bytes is too short for a header");
        short headerVersion = IsSupported(apiKey, apiVersion) ? RequestHeaderVersion(apiKey, apiVersion) : (short)1;
        return RequestHeader.Read(ref reader, headerVersion);
    }
}
