namespace Gregor.Protocol.Primitives;

/// <summary>
/// Thrown when a message's arrays together hold more elements than its reader's budget allows:
/// the bytes may be well formed, but the request fans out further than the broker serves. Raised
/// from the array count, before the elements are allocated. It is a
/// <see cref="MalformedMessageException"/> so that code which does not know it still closes the
/// connection; the broker catches it first to answer with an error where the response can say so.
/// </summary>
public sealed class ElementLimitExceededException : MalformedMessageException
{
    public ElementLimitExceededException() { }

    public ElementLimitExceededException(string message) : base(message) { }

    public ElementLimitExceededException(string message, Exception inner) : base(message, inner) { }

    public ElementLimitExceededException(int limit, long elements, int position)
        : base($"{elements} array elements by position {position}, over the limit of {limit} per message")
    {
        Limit = limit;
        Elements = elements;
    }

    /// <summary>The budget the reader had.</summary>
    public int Limit { get; }

    /// <summary>Elements counted when the budget ran out (the last array's whole count included).</summary>
    public long Elements { get; }
}
