namespace Gregor.Broker.Network;

/// <summary>A request frame the connection will not read (size out of bounds, cut short): the connection closes.</summary>
internal sealed class FrameRejectedException(string reason) : Exception(reason);
