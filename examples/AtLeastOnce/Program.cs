// At-least-once: commit a record's offset only AFTER processing it.
// A crash after processing but before the commit makes the group read the record again: it is processed twice.
// Nothing is ever lost. See docs/delivery-semantics.md.
using Gregor.Client;
using Gregor.Examples;

var options = ExampleOptions.Parse(args);
var ledger = new Ledger(options.Output);
// Offsets are stored by the application once a record is processed (not as Consume returns it), and auto-commit
// commits what is stored every auto.commit.interval.ms, on every rebalance and on Close.
using var consumer = new ConsumerBuilder<string, string>(options.ConsumerConfig(
    ("enable.auto.commit", "true"), ("enable.auto.offset.store", "false"))).Build();

ConsumeLoop.Run(consumer, options, record =>
{
    ledger.Append(record);                       // 1. process the record
    options.Reached("after-processing", record); //    a crash here: it is read, and processed, again
    consumer.StoreOffset(record);                // 2. only now may its offset be committed
});
