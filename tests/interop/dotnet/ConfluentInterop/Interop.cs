using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace ConfluentInterop;

/// <summary>A check that did not hold; the message says what came back.</summary>
internal sealed class CheckFailedException(string message) : Exception(message);

/// <summary>What every case uses: the broker run.sh started, checks, log lines, waiting with a deadline.</summary>
internal static class Interop
{
    public static string Bootstrap => Env("GREGOR_BOOTSTRAP");

    public static string Env(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new CheckFailedException($"{name} is not set; run this case through tests/interop/run.sh");

    public static void Check(bool condition, string message)
    {
        if (!condition) throw new CheckFailedException(message);
    }

    private static readonly List<string> Skipped = [];

    /// <summary>
    /// A check not made because the broker has a known gap (the reason says which, and how it shows);
    /// logged at once and again in <see cref="SkippedSummary"/>, which a case puts in its last line.
    /// </summary>
    public static void Skip(string reason)
    {
        Skipped.Add(reason);
        Log("SKIPPED check (broker gap): " + reason);
    }

    public static string SkippedSummary => Skipped.Count == 0 ? "" : $" [{Skipped.Count} check(s) skipped for broker gaps, see above]";

    /// <summary>One progress line; run.sh shows a passing case's last one.</summary>
    public static void Log(string message) =>
        Console.WriteLine($"[{DateTime.Now.ToString("HH:mm:ss", CultureInfo.InvariantCulture)}] {message}");

    public static string UniqueTopic(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    /// <summary>Polls <paramref name="probe"/> until it returns true; fails with <paramref name="what"/>() past the deadline.</summary>
    public static async Task WaitForAsync(Func<Task<bool>> probe, TimeSpan timeout, Func<string> what)
    {
        var clock = Stopwatch.StartNew();
        while (!await probe())
        {
            if (clock.Elapsed > timeout) throw new CheckFailedException($"not within {timeout.TotalSeconds:0} s: {what()}");
            await Task.Delay(100);
        }
    }

    public static Task WaitForAsync(Func<bool> probe, TimeSpan timeout, Func<string> what) =>
        WaitForAsync(() => Task.FromResult(probe()), timeout, what);

    /// <summary>
    /// Flushes, then waits until <paramref name="reported"/>() reaches <paramref name="expected"/>: Confluent.Kafka
    /// runs delivery handlers on its own poll thread, and Flush can return before the last handler has run.
    /// </summary>
    public static void FlushAndAwaitReports<TKey, TValue>(IProducer<TKey, TValue> producer, Func<int> reported, int expected, string what)
    {
        int left = producer.Flush(TimeSpan.FromSeconds(60));
        Check(left == 0, $"{what}: {left} records still unacknowledged after 60 s");
        var clock = Stopwatch.StartNew();
        while (reported() < expected)
        {
            Check(clock.Elapsed < TimeSpan.FromSeconds(10), $"{what}: {reported()} of {expected} delivery reports handed over 10 s after the flush");
            Thread.Sleep(5);
        }
    }

    public static string Show(byte[]? bytes) =>
        bytes is null ? "null" : bytes.Length <= 32 ? Convert.ToHexString(bytes) : $"{Convert.ToHexString(bytes, 0, 32)}... ({bytes.Length} B)";

    public static string Show(Headers? headers) =>
        headers is null ? "none" : "[" + string.Join(", ", headers.Select(h => $"{h.Key}={Show(h.GetValueBytes())}")) + "]";

    public static bool SameHeaders(Headers? a, Headers? b)
    {
        var left = a?.ToList() ?? [];
        var right = b?.ToList() ?? [];
        return left.Count == right.Count && left.Zip(right).All(pair =>
            pair.First.Key == pair.Second.Key && SameBytes(pair.First.GetValueBytes(), pair.Second.GetValueBytes()));
    }

    public static bool SameBytes(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);

    /// <summary>Until Metadata shows the topic with that many partitions, each with a leader.</summary>
    public static Task WaitForLeadersAsync(IAdminClient admin, string topic, int partitions)
    {
        TopicMetadata? seen = null;
        return WaitForAsync(() =>
        {
            seen = admin.GetMetadata(topic, TimeSpan.FromSeconds(5)).Topics.SingleOrDefault(t => t.Topic == topic);
            return seen is { Error.IsError: false } && seen.Partitions.Count == partitions && seen.Partitions.All(p => p.Leader >= 0);
        }, TimeSpan.FromSeconds(15), () => $"topic {topic} with {partitions} led partitions; metadata has " +
            (seen is null ? "nothing" : $"{seen.Error.Code}, leaders [{string.Join(",", seen.Partitions.Select(p => p.Leader))}]"));
    }

    /// <summary>Every consumed position of the topic's partitions as the group committed it.</summary>
    public static Dictionary<int, long> Committed(IConsumer<byte[]?, byte[]?> consumer, string topic, int partitions) =>
        consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .ToDictionary(tpo => tpo.Partition.Value, tpo => tpo.Offset.Value);

    public static string Show<TKey, TValue>(IReadOnlyDictionary<TKey, TValue> map) where TKey : notnull =>
        "{" + string.Join(", ", map.OrderBy(pair => pair.Key).Select(pair => $"{pair.Key}: {pair.Value}")) + "}";
}
