using System.Diagnostics;
using System.Globalization;
using System.Net;
using Gregor.ProduceLoad;

// Produces records to a Gregor (or Kafka) broker at a client cost of next to nothing per record: each
// connection sends the same pre-built ~1 MB Produce requests over and over, pipelined, and checks every
// response. What it measures is the broker, not a client library.
//
//   Gregor.ProduceLoad --bootstrap 127.0.0.1:9092 --topic t [--connections 1] [--records 200000]
//                      [--record-size 1024] [--batch-bytes 1000000] [--in-flight 5] [--acks 1]
//
// Connection i writes --records records to partition i of the topic (which must exist). One line of results.
var options = new Dictionary<string, string>(StringComparer.Ordinal)
{
    ["--bootstrap"] = "127.0.0.1:9092", ["--topic"] = "", ["--connections"] = "1", ["--records"] = "200000",
    ["--record-size"] = "1024", ["--batch-bytes"] = "1000000", ["--in-flight"] = "5", ["--acks"] = "1",
};
for (int i = 0; i < args.Length; i++)
{
    if (!options.ContainsKey(args[i]) || i + 1 == args.Length)
    {
        Console.Error.WriteLine($"unknown or incomplete option {args[i]}; options: {string.Join(", ", options.Keys)}");
        return 2;
    }
    options[args[i]] = args[++i];
}
string topic = options["--topic"];
if (topic.Length == 0)
{
    Console.Error.WriteLine("--topic is required");
    return 2;
}
int Int(string name) => int.Parse(options[name], CultureInfo.InvariantCulture);
int connections = Int("--connections"), records = Int("--records"), recordSize = Int("--record-size");
int inFlight = Int("--in-flight");
short acks = short.Parse(options["--acks"], CultureInfo.InvariantCulture);
IPEndPoint broker = IPEndPoint.Parse(options["--bootstrap"]);

int perBatch = Math.Min(records, ProduceFrames.RecordsPerBatch(recordSize, Int("--batch-bytes")));
var random = new Random(42);
var plans = new List<byte[]>[connections];
for (int c = 0; c < connections; c++)
{
    byte[] full = ProduceFrames.Build(topic, c, perBatch, recordSize, acks, 30_000, random);
    int remainder = records % perBatch;
    plans[c] = [.. Enumerable.Repeat(full, records / perBatch)];
    if (remainder > 0) plans[c].Add(ProduceFrames.Build(topic, c, remainder, recordSize, acks, 30_000, random));
}

var producers = new List<ProducerConnection>();
for (int c = 0; c < connections; c++) producers.Add(await ProducerConnection.ConnectAsync(broker, inFlight));
TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
var clock = Stopwatch.StartNew();
await Task.WhenAll(producers.Select((p, c) => p.RunAsync(plans[c], CancellationToken.None)));
double seconds = clock.Elapsed.TotalSeconds;
double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
foreach (var p in producers) p.Dispose();

long total = (long)records * connections;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"records={total} record_size={recordSize} records_per_request={perBatch} seconds={seconds:F3} msgs_per_s={total / seconds:F0} mb_per_s={total * (double)recordSize / seconds / 1e6:F1} client_cpu_s={cpu:F2}"));
return 0;
