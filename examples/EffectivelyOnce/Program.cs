// Effectively-once into an external system: the result of each record and the offset after it are written to
// the store in ONE atomic write, and the store, not Kafka's committed offset, says where to resume. A crash before
// the write redoes the record; a crash after it finds the record applied and skips it. Nothing lost, nothing
// twice. See docs/delivery-semantics.md.
using Gregor.Client;
using Gregor.Examples;

var options = ExampleOptions.Parse(args);
var store = DepositStore.Open(options.Output);
using var consumer = new ConsumerBuilder<string, string>(options.ConsumerConfig(
        ("enable.auto.commit", "true"), ("enable.auto.offset.store", "false")))
    // Partitions start where the store says (Unset, never read: the group's committed offset, else the beginning).
    .SetPartitionsAssignedHandler((_, partitions) => partitions.Select(tp => new TopicPartitionOffset(tp, store.NextOffset(tp))))
    .Build();

ConsumeLoop.Run(consumer, options, record =>
{
    if (store.Applied(record)) return;            // read again (e.g. after a rebalance): already in the store
    options.Reached("before-store-write", record); // a crash here: nothing written, the record is read again
    store.Apply(record);                          // the deposit and the next offset, in one atomic write
    options.Reached("after-store-write", record);  // a crash here: on restart the store says to go past it
    consumer.StoreOffset(record);                 // Kafka's committed offset follows, for monitoring and lag only
});
