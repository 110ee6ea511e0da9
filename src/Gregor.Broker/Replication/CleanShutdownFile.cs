using System.Globalization;
using System.Text.Json;
using Gregor.Storage;

namespace Gregor.Broker.Replication;

/// <summary>
/// What a log dir's clean shutdown marker (<see cref="LogFileNames.CleanShutdownMarker"/>) holds, in Kafka's form: the
/// broker epoch the broker had when it stopped cleanly. Sent back as BrokerRegistration's previous broker epoch, it
/// tells the controller the broker lost nothing (KIP-966); a marker missing from any log dir, unreadable, or naming
/// different epochs means it did not stop cleanly (-1).
/// </summary>
public static class CleanShutdownFile
{
    private const int MaxBytes = 4096;

    /// <summary>The marker's content for a stop at <paramref name="brokerEpoch"/>.</summary>
    public static byte[] Content(long brokerEpoch) =>
        System.Text.Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$"""{"version":0,"brokerEpoch":{{brokerEpoch}}}"""));

    /// <summary>The broker epoch every log dir's marker agrees on, or -1.</summary>
    public static long ReadBrokerEpoch(IReadOnlyList<string> logDirs)
    {
        ArgumentNullException.ThrowIfNull(logDirs);
        long epoch = -1;
        foreach (string root in logDirs)
        {
            long found = Read(Path.Combine(root, LogFileNames.CleanShutdownMarker));
            if (found < 0 || (epoch >= 0 && found != epoch)) return -1;
            epoch = found;
        }
        return epoch;
    }

    private static long Read(string path)
    {
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists || info.Length > MaxBytes) return -1;
            using var document = JsonDocument.Parse(File.ReadAllBytes(path));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("brokerEpoch", out var value) && value.ValueKind == JsonValueKind.Number
                && value.TryGetInt64(out long epoch) ? epoch : -1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return -1;
        }
    }
}
