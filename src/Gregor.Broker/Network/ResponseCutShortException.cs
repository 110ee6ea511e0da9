namespace Gregor.Broker.Network;

/// <summary>
/// A response whose length was already sent could not be completed (its records' file was truncated under it): the
/// client cannot tell where the next response starts, so the connection closes.
/// </summary>
internal sealed class ResponseCutShortException(string reason) : Exception(reason);
