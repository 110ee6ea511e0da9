using Gregor.Protocol.Records;
using Gregor.Storage;

namespace Gregor.Broker.Handlers;

/// <summary>
/// A fetch response's records for one partition: a region of a segment file, copied to the socket by the response
/// writer a chunk at a time. One per partition of a fetch, reused by every read pass of its long poll.
/// </summary>
internal sealed class FileRegionRecords : DeferredRecords
{
    private LogRegion _region;

    public override int Length => _region.Length;

    /// <summary>Takes over <paramref name="region"/> (and its lease) and gives its records field value.</summary>
    public ReadOnlyMemory<byte> Hold(in LogRegion region)
    {
        Release();
        _region = region;
        return _region.Length == 0 ? ReadOnlyMemory<byte>.Empty : Records;
    }

    public override int CopyTo(Span<byte> destination, int offset) => _region.CopyTo(destination, offset);

    /// <summary>Releases the region's lease; the response must no longer point at these records.</summary>
    public void Release()
    {
        ForgetCopy();
        _region.Dispose();
        _region = default;
    }
}
