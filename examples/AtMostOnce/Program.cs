// At-most-once: commit a record's offset BEFORE processing it.
// A crash between the commit and the processing loses that record: the group resumes after it. Nothing is ever
// processed twice. See docs/delivery-semantics.md.
using Gregor.Client;
using Gregor.Examples;

var options = ExampleOptions.Parse(args);
var ledger = new Ledger(options.Output);
// No automatic commits: this example decides exactly when an offset is committed.
using var consumer = new ConsumerBuilder<string, string>(options.ConsumerConfig(("enable.auto.commit", "false"))).Build();

ConsumeLoop.Run(consumer, options, record =>
{
    consumer.Commit(record);                     // 1. the record counts as done from here on
    options.Reached("after-commit", record);     //    a crash here: the record is never processed
    ledger.Append(record);                       // 2. process it
});
