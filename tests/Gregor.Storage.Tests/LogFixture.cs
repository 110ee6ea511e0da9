namespace Gregor.Storage.Tests;

/// <summary>Helpers shared by log tests: filling a log, reading it all back, copying directories.</summary>
internal static class LogFixture
{
    /// <summary>Appends <paramref name="batches"/> batches of varied sizes; returns each appended batch's bytes (offsets assigned).</summary>
    public static List<byte[]> Fill(PartitionLog log, int batches, long firstTimestamp = 1_000, int seed = 1)
    {
        var random = new Random(seed);
        var written = new List<byte[]>();
        for (int i = 0; i < batches; i++)
        {
            byte[] batch = TestBatches.Simple(random.Next(1, 6), firstTimestamp + i * 10, valueBytes: random.Next(5, 60));
            log.Append(batch);
            written.Add(batch);
        }
        return written;
    }

    /// <summary>Every batch from <paramref name="from"/> to the end, read in small steps as a consumer would.</summary>
    public static List<byte[]> ReadAll(PartitionLog log, long from = -1, int maxBytes = 300)
    {
        var batches = new List<byte[]>();
        long offset = from < 0 ? log.LogStartOffset : from;
        while (offset < log.LogEndOffset)
        {
            using LogReadResult read = log.Read(offset, maxBytes);
            if (read.BatchCount == 0)
                throw new InvalidOperationException($"No progress reading at {offset}.");
            ReadOnlySpan<byte> span = read.Records.Span;
            foreach (BatchInfo header in TestBatches.Headers(span))
                batches.Add(span.Slice(header.Position, header.Size).ToArray());
            offset = read.NextOffset;
        }
        return batches;
    }

    public static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from))
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
    }

    public static void ReplaceDirectory(string from, string to)
    {
        if (Directory.Exists(to))
            Directory.Delete(to, recursive: true);
        CopyDirectory(from, to);
    }
}
