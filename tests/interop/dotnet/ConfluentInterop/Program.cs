// Confluent.Kafka 2.16 (librdkafka 2.16 from the librdkafka.redist package) against a Gregor broker.
// Each case is a subcommand; tests/interop/run.sh runs them with GREGOR_BOOTSTRAP and the rest of
// its environment set (see tests/interop/README.md). Exit 0 when every check held, 1 on the first
// check that did not (with what came back), 2 on bad arguments.
using ConfluentInterop;

var cases = new Dictionary<string, Func<string[], Task>>(StringComparer.Ordinal)
{
    ["version"] = _ => Task.CompletedTask,
    ["produce-consume"] = ProduceConsumeCase.RunAsync,
    ["admin"] = AdminCase.RunAsync,
    ["group"] = GroupCase.RunAsync,
    ["compression"] = CompressionCase.RunAsync,
    ["cluster"] = ClusterCase.RunAsync,
    ["idempotent"] = IdempotentCase.RunAsync,
    ["leader-epoch"] = LeaderEpochCase.RunAsync,
};

if (args.Length == 0 || !cases.TryGetValue(args[0], out var run))
{
    Console.Error.WriteLine($"usage: ConfluentInterop {string.Join('|', cases.Keys)} [arguments]");
    return 2;
}

try
{
    // Before any client exists: load the librdkafka this package bundles, whatever else is installed.
    string library = BundledLibrdkafka.Load();
    Interop.Log($"Confluent.Kafka {BundledLibrdkafka.ClientVersion}, librdkafka {Confluent.Kafka.Library.VersionString} from {library}");
    await run(args[1..]);
    return 0;
}
catch (CheckFailedException failure)
{
    Console.Error.WriteLine("FAIL: " + failure.Message);
    return 1;
}
catch (Exception failure)
{
    Console.Error.WriteLine("FAIL: unexpected " + failure);
    return 1;
}
