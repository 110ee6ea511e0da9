using System.Globalization;
using Gregor.Client;

namespace Gregor.Examples;

/// <summary>
/// The external system of the at-most-once and at-least-once examples: a file a line is appended to per record
/// processed ("PARTITION OFFSET VALUE"), written through at once. It knows nothing of Kafka's offsets, so what it
/// holds after a crash shows what the guarantee allowed: a record missing, or the same record twice.
/// </summary>
internal sealed class Ledger(string path)
{
    public void Append(ConsumeResult<string, string> record) =>
        File.AppendAllText(path, string.Create(CultureInfo.InvariantCulture, $"{record.Partition.Value} {record.Offset.Value} {record.Message.Value}\n"));
}
