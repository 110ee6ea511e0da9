namespace Gregor.Client;

/// <summary>Where a record's timestamp came from (the batch's timestamp type bit).</summary>
public enum TimestampType
{
    NotAvailable = 0,
    CreateTime = 1,
    LogAppendTime = 2,
}

/// <summary>A record timestamp: milliseconds since the Unix epoch and where it came from.</summary>
public readonly struct Timestamp : IEquatable<Timestamp>
{
    /// <summary>No timestamp (Kafka's -1).</summary>
    public static Timestamp Default => new(0, TimestampType.NotAvailable);

    public Timestamp(long unixTimestampMs, TimestampType type)
    {
        UnixTimestampMs = unixTimestampMs;
        Type = type;
    }

    public Timestamp(DateTime dateTime, TimestampType type = TimestampType.CreateTime)
        : this(DateTimeToUnixTimestampMs(dateTime), type)
    {
    }

    public Timestamp(DateTimeOffset dateTimeOffset, TimestampType type = TimestampType.CreateTime)
        : this(dateTimeOffset.ToUnixTimeMilliseconds(), type)
    {
    }

    public long UnixTimestampMs { get; }

    public TimestampType Type { get; }

    /// <summary>The timestamp as a UTC DateTime.</summary>
    public DateTime UtcDateTime => UnixTimestampMsToDateTime(UnixTimestampMs);

    public static long DateTimeToUnixTimestampMs(DateTime dateTime) =>
        new DateTimeOffset(dateTime.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(dateTime, DateTimeKind.Utc) : dateTime.ToUniversalTime())
            .ToUnixTimeMilliseconds();

    public static DateTime UnixTimestampMsToDateTime(long unixMillisecondsTimestamp) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMillisecondsTimestamp).UtcDateTime;

    public bool Equals(Timestamp other) => UnixTimestampMs == other.UnixTimestampMs && Type == other.Type;

    public override bool Equals(object? obj) => obj is Timestamp other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(UnixTimestampMs, Type);

    public static bool operator ==(Timestamp a, Timestamp b) => a.Equals(b);

    public static bool operator !=(Timestamp a, Timestamp b) => !a.Equals(b);

    public override string ToString() => Type == TimestampType.NotAvailable ? "none" : $"{UnixTimestampMs} ({Type})";
}
