using System.Text;
using Gregor.Protocol.Records;
using Record = Gregor.Protocol.Records.Record;

namespace Gregor.Storage.Tests;

/// <summary>One record as read back from a log, copied out of the batch.</summary>
internal sealed record StoredRecord(long Offset, string? Key, string? Value, long Timestamp, bool BatchHasDeleteHorizon);

/// <summary>Reads every record of a log (through <see cref="PartitionLog.Read"/> and the records reader) and folds them.</summary>
internal static class LogRecords
{
    public static List<StoredRecord> ReadAll(PartitionLog log)
    {
        var records = new List<StoredRecord>();
        foreach (byte[] batch in LogFixture.ReadAll(log, maxBytes: 4096))
        {
            var result = RecordBatchReader.TryOpen(batch, out RecordBatchReader reader);
            Assert.True(result.IsValid, result.Message);
            using (reader)
            {
                bool horizon = reader.Batch.HasDeleteHorizon;
                while (reader.TryReadNext(out Record record))
                {
                    records.Add(new StoredRecord(record.Offset, Text(record.Key), Text(record.Value), record.Timestamp, horizon));
                }
                Assert.True(reader.Error.IsValid, reader.Error.Message);
            }
        }
        return records;
    }

    /// <summary>The key-value view a consumer rebuilds from the start: the last value per key, tombstones removing keys.</summary>
    public static Dictionary<string, string> Fold(IEnumerable<StoredRecord> records)
    {
        var state = new Dictionary<string, string>();
        foreach (StoredRecord record in records)
        {
            if (record.Key is null)
                continue;
            if (record.Value is null)
                state.Remove(record.Key);
            else
                state[record.Key] = record.Value;
        }
        return state;
    }

    private static string? Text(NullableBytes bytes) => bytes.IsNull ? null : Encoding.UTF8.GetString(bytes.Span);
}
