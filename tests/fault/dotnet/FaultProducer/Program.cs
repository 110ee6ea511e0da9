// A producer for the fault harness (tests/fault/lib/workload.py): writes "<name>-<n>" at a steady rate with
// acks=all until the stop file appears, then flushes, recording every attempt and outcome (History.cs).
//
//   FaultProducer confluent|gregor BOOTSTRAP TOPIC NAME HISTORY STOP_FILE RATE IDEMPOTENT(0|1)
//
// Without idempotence retries are off, so a duplicate in the log is the broker's doing, not a retry's.
using FaultProducer;

if (args.Length != 8 || (args[0] != "confluent" && args[0] != "gregor"))
{
    Console.Error.WriteLine("usage: FaultProducer confluent|gregor BOOTSTRAP TOPIC NAME HISTORY STOP_FILE RATE IDEMPOTENT(0|1)");
    return 2;
}
string client = args[0], bootstrap = args[1], topic = args[2], name = args[3], historyPath = args[4], stopFile = args[5];
double rate = double.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture);
bool idempotent = args[7] == "1";

using var history = new History(historyPath);
ISender sender = client == "confluent"
    ? new ConfluentSender(Librdkafka.Load(), bootstrap, topic, idempotent, history)
    : new GregorSender(bootstrap, topic, idempotent, history);
Console.WriteLine($"{name}: {sender.Describe()}");
var interval = TimeSpan.FromSeconds(1 / rate);
var clock = System.Diagnostics.Stopwatch.StartNew();
var next = TimeSpan.Zero;
for (long n = 0; !File.Exists(stopFile); n++)
{
    string value = $"{name}-{n}";
    history.Invoke(value);
    sender.Send(value);
    next += interval;
    var wait = next - clock.Elapsed;
    if (wait > TimeSpan.Zero) Thread.Sleep(wait);
}
int unresolved = sender.Flush(TimeSpan.FromSeconds(15));
history.End(unresolved);
sender.Dispose();
return 0;
