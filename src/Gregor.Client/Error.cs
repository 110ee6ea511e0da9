namespace Gregor.Client;

/// <summary>An error: its code, a reason and whether the client can no longer be used.</summary>
public class Error : IEquatable<Error>
{
    public Error(ErrorCode code)
        : this(code, code.GetReason(), false)
    {
    }

    public Error(ErrorCode code, string? reason)
        : this(code, reason, false)
    {
    }

    public Error(ErrorCode code, string? reason, bool isFatal)
    {
        Code = code;
        Reason = string.IsNullOrEmpty(reason) ? code.GetReason() : reason;
        IsFatal = isFatal;
    }

    public Error(Error error)
    {
        ArgumentNullException.ThrowIfNull(error);
        Code = error.Code;
        Reason = error.Reason;
        IsFatal = error.IsFatal;
    }

    public ErrorCode Code { get; }

    public string Reason { get; }

    /// <summary>A fatal error leaves the client unusable (e.g. a fenced idempotent producer).</summary>
    public bool IsFatal { get; }

    public bool IsError => Code != ErrorCode.NoError;

    public bool IsLocalError => Code.IsLocal();

    public bool IsBrokerError => IsError && !IsLocalError;

    public bool IsRetriable => Code.IsRetriable();

    public static implicit operator ErrorCode(Error error) => error?.Code ?? throw new ArgumentNullException(nameof(error));

    public static implicit operator Error(ErrorCode code) => new(code);

    public bool Equals(Error? other) => other is not null && Code == other.Code;

    public override bool Equals(object? obj) => Equals(obj as Error);

    public override int GetHashCode() => Code.GetHashCode();

    public static bool operator ==(Error? a, Error? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(Error? a, Error? b) => !(a == b);

    public override string ToString() => string.IsNullOrEmpty(Reason) ? Code.ToString() : Reason;
}
