using System.Diagnostics;
using Gregor.Client;

namespace Gregor.Examples;

/// <summary>
/// The loop every example runs: Consume until Ctrl-C (or, with --idle-exit-ms, until nothing has come for that
/// long while partitions are assigned), handing each record to the example, then Close (revoke, final commit,
/// LeaveGroup).
/// </summary>
internal static class ConsumeLoop
{
    public static void Run(IConsumer<string, string> consumer, ExampleOptions options, Action<ConsumeResult<string, string>> handle)
    {
        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        consumer.Subscribe(options.Topic);
        long lastActivity = Stopwatch.GetTimestamp();
        int held = 0;
        while (!stop.IsCancellationRequested)
        {
            var record = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (record is null)
            {
                int now = consumer.Assignment.Count;
                if (now != held) (held, lastActivity) = (now, Stopwatch.GetTimestamp());
                if (options.IdleExit is { } idle && held > 0 && Stopwatch.GetElapsedTime(lastActivity) > idle) break;
                continue;
            }
            handle(record);
            lastActivity = Stopwatch.GetTimestamp();
        }
        consumer.Close();
    }
}
