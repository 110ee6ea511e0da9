namespace Gregor.Protocol.Primitives;

/// <summary>
/// Thrown when bytes on the wire do not form a valid message: truncated input, a length
/// over its limit, a null where none is allowed. The connection that sent them is closed.
/// </summary>
/// <remarks>Not sealed: <see cref="ElementLimitExceededException"/> derives from it, so code that only knows this type still closes cleanly.</remarks>
public class MalformedMessageException : Exception
{
    public MalformedMessageException() { }

    public MalformedMessageException(string message) : base(message) { }

    public MalformedMessageException(string message, Exception inner) : base(message, inner) { }
}
