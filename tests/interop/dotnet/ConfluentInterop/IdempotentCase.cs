using System.Collections.Concurrent;
using Confluent.Kafka;
using static ConfluentInterop.Interop;

namespace ConfluentInterop;

/// <summary>
/// idempotent BOOTSTRAP TOPIC COUNT LABEL: run by cases/idempotent_producers.py. A producer with
/// <c>enable.idempotence=true</c> (librdkafka 2.16 then needs InitProducerId and refuses to produce without it) sends
/// COUNT records with values "LABEL i" to TOPIC; every delivery must be persisted. The case reads them back.
/// </summary>
internal static class IdempotentCase
{
    public static Task RunAsync(string[] args)
    {
        Check(args.Length == 4 && int.TryParse(args[2], out _), "usage: idempotent BOOTSTRAP TOPIC COUNT LABEL");
        string bootstrap = args[0], topic = args[1], label = args[3];
        int count = int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture);
        var reports = new ConcurrentQueue<DeliveryReport<string, string>>();
        var config = new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true, LingerMs = 5, MessageTimeoutMs = 60000 };
        var fatal = new ConcurrentQueue<Error>();
        using (var producer = new ProducerBuilder<string, string>(config).SetErrorHandler((_, e) => { if (e.IsFatal) fatal.Enqueue(e); }).Build())
        {
            for (int i = 0; i < count; i++)
                producer.Produce(topic, new Message<string, string> { Key = $"k{i % 97}", Value = $"{label} {i}" }, reports.Enqueue);
            FlushAndAwaitReports(producer, () => reports.Count, count, $"producing idempotently to {topic}");
        }
        Check(fatal.IsEmpty, $"fatal producer error: {fatal.FirstOrDefault()?.Code} {fatal.FirstOrDefault()?.Reason}");
        var failed = reports.Where(r => r.Error.IsError || r.Status != PersistenceStatus.Persisted).ToList();
        Check(failed.Count == 0, $"{failed.Count} deliveries failed, first: {failed.FirstOrDefault()?.Error.Code} {failed.FirstOrDefault()?.Error.Reason}");
        Log($"Confluent.Kafka sent {count} records to {topic} through {bootstrap} with enable.idempotence=true");
        return Task.CompletedTask;
    }
}
