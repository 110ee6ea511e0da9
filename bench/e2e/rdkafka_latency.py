"""librdkafka's view of the same measurement as `gregor perf produce --throughput R --acks all`: keyless records of
--record-size bytes at a fixed rate for a time, each timed from produce() to its delivery report, through
confluent_kafka (the librdkafka it bundles: `confluent_kafka.libversion()`). Batching as Gregor.Client's defaults
(linger.ms=5, batch.size=16384, a 32 MiB queue), no idempotence unless given; a full queue makes the send wait, as buffer.memory does; librdkafka keeps several batches of a
partition in flight (max.in.flight=1000000 by default). Reports are served by poll(0) after every send and while
waiting, so a report waits at most one loop turn (microseconds) for its callback. Prints one JSON line with the
keys `gregor perf produce -o json` uses.

    python3 bench/e2e/rdkafka_latency.py BOOTSTRAP TOPIC RECORDS_PER_S SECONDS [--record-size B] [name=value ...]"""
import argparse
import json
import resource
import time

from confluent_kafka import Producer

parser = argparse.ArgumentParser()
parser.add_argument("bootstrap")
parser.add_argument("topic")
parser.add_argument("rate", type=int)
parser.add_argument("seconds", type=float)
parser.add_argument("--record-size", type=int, default=1024)
parser.add_argument("settings", nargs="*", help="librdkafka settings, name=value")
args = parser.parse_args()

config = {"bootstrap.servers": args.bootstrap, "acks": "all", "linger.ms": 5, "batch.size": 16384,
          "enable.idempotence": False, "queue.buffering.max.kbytes": 32768,
          "queue.buffering.max.messages": 1000000, "log_level": 3}
config.update(dict(setting.split("=", 1) for setting in args.settings))
producer = Producer(config)
latencies = []
failed = [0]
payload = b"x" * args.record_size


def delivered(error, sent):
    if error is None:
        latencies.append(time.monotonic() - sent)
    else:
        failed[0] += 1


start = time.monotonic()
sent_count = 0
while True:
    elapsed = time.monotonic() - start
    if elapsed >= args.seconds:
        break
    due = sent_count / args.rate
    if elapsed < due:
        producer.poll(0)
        time.sleep(min(0.001, due - elapsed))
        continue
    sent_at = time.monotonic()
    while True:
        try:
            producer.produce(args.topic, payload, on_delivery=lambda error, _message, at=sent_at: delivered(error, at))
            break
        except BufferError:  # the queue is full: wait for room, as Gregor.Client's send blocks on buffer.memory
            producer.poll(0.001)
    sent_count += 1
    producer.poll(0)
producer.flush(120)
elapsed = time.monotonic() - start
latencies.sort()


def quantile(fraction):
    return round(latencies[min(len(latencies) - 1, int(fraction * len(latencies)))] * 1000, 3) if latencies else None


usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"kind": "produce", "client": "librdkafka %s" % __import__("confluent_kafka").libversion()[0],
                  "records": len(latencies), "failed": failed[0], "recordsPerSecond": sent_count / args.seconds,
                  "elapsedSeconds": elapsed, "p50Ms": quantile(0.5), "p99Ms": quantile(0.99),
                  "p999Ms": quantile(0.999), "maxMs": quantile(1.0), "cpuSeconds": usage.ru_utime + usage.ru_stime,
                  "gen0Collections": 0, "gen1Collections": 0, "gen2Collections": 0}))
