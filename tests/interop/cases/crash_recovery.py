"""Crash recovery: a producer (acks=1) streams sequence numbers into a 3-partition topic on a
broker of its own, recording the offset of every acknowledged message; after ~3 s the broker
is killed with SIGKILL mid-stream and restarted on the same data dir. Then every acknowledged
message is at its acknowledged offset, every partition's offsets run 0..n-1 with no gap, the
consumer (check.crcs=true) finds no corrupt batch, and the restarted broker appends after the
recovered end (a second producer's messages land right behind it)."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402
from admin import create_topic  # noqa: E402
from broker import Broker, free_port  # noqa: E402
from interop import check, env, log, scratch, unique_topic  # noqa: E402

PARTITIONS, STREAM_SECONDS, AFTER_RESTART = 3, 3.0, 3000
broker = Broker(env("GREGOR_DLL"), scratch("crash-data"), free_port(), scratch("crash-broker.log"))


def tail_log():
    with open(broker.log_path, "rb") as log_file:
        return log_file.read()[-6000:].decode(errors="replace")


try:
    broker.start()
    topic = unique_topic("crash")
    create_topic(topic, PARTITIONS, admin=AdminClient({"bootstrap.servers": broker.bootstrap}))

    acked, failed = {}, []  # sequence number -> (partition, offset); failed sequence numbers

    def report(error, message):
        sequence = int(message.value())
        if error is None:
            acked[sequence] = (message.partition(), message.offset())
        else:
            failed.append(sequence)

    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "1", "linger.ms": 5,
                         "message.timeout.ms": 5000, "on_delivery": report,
                         "reconnect.backoff.max.ms": 200})
    sequence, started = 0, time.monotonic()
    killed_at = None
    while True:
        elapsed = time.monotonic() - started
        if killed_at is None and elapsed >= STREAM_SECONDS:
            acked_before_kill = len(acked)
            broker.kill()
            killed_at = sequence
            log("SIGKILL after %.1fs: %d sent, %d acknowledged so far", elapsed, sequence,
                acked_before_kill)
        if elapsed >= STREAM_SECONDS + 0.5:
            break
        for _ in range(50):
            producer.produce(topic, value=b"%d" % sequence, partition=sequence % PARTITIONS)
            sequence += 1
        producer.poll(0)
        time.sleep(0.002)
    check(acked_before_kill > 1000, "only %d messages acknowledged in %.0fs of streaming",
          acked_before_kill, STREAM_SECONDS)
    undelivered = producer.flush(20)
    check(undelivered == 0, "%d messages neither acknowledged nor failed", undelivered)
    log("stream ended: %d sent, %d acknowledged, %d failed (broker down)",
        sequence, len(acked), len(failed))

    restart_started = time.monotonic()
    broker.start()
    log("restarted on the same data dir; answering after %.2fs", time.monotonic() - restart_started)

    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5,
                         "on_delivery": report})
    first_after = sequence
    for _ in range(AFTER_RESTART):
        producer.produce(topic, value=b"%d" % sequence, partition=sequence % PARTITIONS)
        sequence += 1
    check(producer.flush(30) == 0, "messages after restart not delivered")
    after = [s for s in range(first_after, sequence) if s in acked]
    check(len(after) == AFTER_RESTART, "%d of %d messages after restart acknowledged",
          len(after), AFTER_RESTART)

    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "interop-unused",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "check.crcs": True})
    highs = [consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
             for p in range(PARTITIONS)]
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    stored = [[] for _ in range(PARTITIONS)]
    at_end, deadline = set(), time.monotonic() + 60
    while len(at_end) < PARTITIONS:
        check(time.monotonic() < deadline, "reading back did not reach the end in 60s")
        for record in consumer.consume(num_messages=10000, timeout=1):
            error = record.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    if len(stored[record.partition()]) == highs[record.partition()]:
                        at_end.add(record.partition())
                    continue
                raise AssertionError("consumer error (corrupt batch?): %s" % error)
            stored[record.partition()].append((record.offset(), int(record.value())))
    consumer.close()

    for partition, records in enumerate(stored):
        offsets = [offset for offset, _ in records]
        check(offsets == list(range(len(records))),
              "partition %d: offsets are not 0..%d without gaps", partition, len(records) - 1)
    at = {(partition, offset): value
          for partition, records in enumerate(stored) for offset, value in records}
    missing = [(s, place) for s, place in acked.items() if at.get(place) != s]
    check(not missing, "%d acknowledged messages not at their offsets, e.g. %s",
          len(missing), [(s, place, at.get(place)) for s, place in missing[:5]])
    in_log = len(at)
    unacked_kept = len({value for value in at.values() if value not in acked})
    duplicates = in_log - len(set(at.values()))
    log("after recovery: %d messages in the log (per partition %s), all %d acknowledged at their "
        "offsets, %d unacknowledged ones kept, %d duplicates, offsets contiguous, CRCs good",
        in_log, [len(r) for r in stored], len(acked), unacked_kept, duplicates)
    broker.stop()
except BaseException:
    if broker.alive():
        broker.kill()
    print("--- crash-test broker log (tail) ---\n" + tail_log(), file=sys.stderr)
    raise
