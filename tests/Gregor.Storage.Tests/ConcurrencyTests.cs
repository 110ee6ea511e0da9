using Gregor.Protocol.Records;

namespace Gregor.Storage.Tests;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task Readers_running_alongside_appends_rolls_retention_and_truncation_only_ever_see_whole_valid_batches()
    {
        using var dir = new TempLogDirectory();
        var time = new ManualTimeProvider();
        using var log = PartitionLog.Open(dir.Path, LogTestConfig.Small(segmentBytes: 2000, indexInterval: 200) with { RetentionBytes = 20_000 }, time);
        using var stop = new CancellationTokenSource();
        long reads = 0;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        void Reader(int seed)
        {
            var random = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                long start = log.LogStartOffset, end = log.LogEndOffset;
                if (end <= start)
                    continue;
                long offset = start + random.NextInt64(end - start);
                try
                {
                    using LogReadResult read = log.Read(offset, random.Next(1, 3000));
                    ReadOnlySpan<byte> bytes = read.Records.Span;
                    long previousEnd = -1;
                    int position = 0;
                    while (position < bytes.Length)
                    {
                        RecordBatchValidationResult problem = RecordBatchFraming.TryFrame(bytes[position..], int.MaxValue, out int size, out _);
                        if (problem.IsValid)
                            problem = RecordBatchValidator.Validate(bytes.Slice(position, size), RecordBatchValidationOptions.Default);
                        if (!problem.IsValid)
                        {
                            failures.Enqueue($"read at {offset}: {problem.Message}");
                            break;
                        }
                        BatchInfo batch = BatchInfo.Parse(bytes[position..], position);
                        if (position == 0 && (batch.BaseOffset > offset || batch.LastOffset < offset))
                            failures.Enqueue($"read at {offset} started with batch [{batch.BaseOffset}, {batch.LastOffset}]");
                        if (previousEnd >= 0 && batch.BaseOffset != previousEnd)
                            failures.Enqueue($"read at {offset}: batch {batch.BaseOffset} does not follow {previousEnd - 1}");
                        previousEnd = batch.NextOffset;
                        position += size;
                    }
                    Interlocked.Increment(ref reads);
                }
                catch (OffsetOutOfRangeException)
                {
                    // Retention or truncation moved the range after the offset was picked.
                }
            }
        }

        Task[] readers = [Task.Run(() => Reader(1)), Task.Run(() => Reader(2))];
        var writerRandom = new Random(3);
        for (int round = 0; round < 3000; round++)
        {
            log.Append(TestBatches.Simple(writerRandom.Next(1, 8), round, valueBytes: writerRandom.Next(1, 80)));
            log.UpdateHighWatermark(log.LogEndOffset);
            if (round % 200 == 199)
                log.ApplyRetention();
            if (round % 500 == 499)
                log.Truncate(log.LogEndOffset - writerRandom.Next(1, 40));
        }
        SpinWait.SpinUntil(() => Interlocked.Read(ref reads) > 500, TimeSpan.FromSeconds(10));
        stop.Cancel();
        await Task.WhenAll(readers);

        Assert.Empty(failures);
        Assert.True(Interlocked.Read(ref reads) > 500, $"only {reads} reads ran");
    }
}
