using System.Globalization;
using System.Text.Json;
using Gregor.Client;

namespace Gregor.Examples;

/// <summary>
/// The external system of the effectively-once example: account balances, the deposits applied, and — in the
/// same state — the next offset to read of each partition. Every change is one atomic write: the whole state
/// goes to a temporary file, which is flushed to disk and renamed over the old one, so after a crash the file
/// holds either the state before a deposit or the state after it, never half. A database would do the same with
/// one transaction updating the balance and the offset row.
/// </summary>
internal sealed class DepositStore
{
    private readonly string _path;
    private readonly State _state;

    private DepositStore(string path, State state)
    {
        _path = path;
        _state = state;
    }

    public static DepositStore Open(string path) =>
        new(path, File.Exists(path) ? JsonSerializer.Deserialize<State>(File.ReadAllText(path)) ?? new State() : new State());

    /// <summary>Where to go on reading a partition: the offset after the last deposit applied from it, or Unset (never read).</summary>
    public Offset NextOffset(TopicPartition partition) =>
        _state.NextOffsets.TryGetValue(Key(partition), out long next) ? new Offset(next) : Offset.Unset;

    /// <summary>Whether this record's deposit is already in the store (a record read again after a crash).</summary>
    public bool Applied(ConsumeResult<string, string> record) =>
        _state.NextOffsets.TryGetValue(Key(record.TopicPartition), out long next) && record.Offset.Value < next;

    /// <summary>Adds the deposit (key: account, value: amount) and moves the partition's offset past it, in one write.</summary>
    public void Apply(ConsumeResult<string, string> record)
    {
        decimal amount = decimal.Parse(record.Message.Value, CultureInfo.InvariantCulture);
        _state.Balances[record.Message.Key] = _state.Balances.GetValueOrDefault(record.Message.Key) + amount;
        _state.Deposits.Add(string.Create(CultureInfo.InvariantCulture, $"{record.Partition.Value} {record.Offset.Value} {record.Message.Value}"));
        _state.NextOffsets[Key(record.TopicPartition)] = record.Offset.Value + 1;
        string temporary = _path + ".tmp";
        using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(file, _state);
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, _path, overwrite: true);
    }

    private static string Key(TopicPartition tp) => string.Create(CultureInfo.InvariantCulture, $"{tp.Topic}/{tp.Partition.Value}");

    /// <summary>What the file holds.</summary>
    private sealed class State
    {
        public Dictionary<string, long> NextOffsets { get; set; } = [];

        public Dictionary<string, decimal> Balances { get; set; } = [];

        public List<string> Deposits { get; set; } = [];
    }
}
