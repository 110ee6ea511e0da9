"""confluent-kafka Producer (acks=all) writes 100,000 keyed messages with headers and explicit
timestamps across a 6-partition topic; every delivery report succeeds. A Consumer that
assign()s the partitions (no group protocol, no commits) reads all of them back: each
message at the partition and offset its delivery report gave, every partition's offsets
0..n-1, and key, value (some null), headers (some empty) and timestamp identical.
(No null header values: reading one back crashes confluent-kafka 1.7.0 under Python 3.11,
a reference-count bug in its C extension.)"""
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import (OFFSET_BEGINNING, TIMESTAMP_CREATE_TIME, Consumer,  # noqa: E402
                             KafkaError, Producer, TopicPartition)
from admin import create_topic  # noqa: E402
from interop import bootstrap, check, log, unique_topic  # noqa: E402

COUNT, PARTITIONS = 100_000, 6
topic = unique_topic("confluent-6p")
create_topic(topic, PARTITIONS)

rng = random.Random(6)
base_timestamp = int(time.time() * 1000) - 3_600_000


def message(i):
    key = b"key-%d" % (i % 20_000)  # repeated keys: each must stay in its partition's order
    value = None if i % 5000 == 1 else rng.randbytes(rng.randrange(0, 200))
    headers = [("seq", b"%d" % i), ("bin", bytes([i % 256, 0, 255])), ("empty", b"")] \
        if i % 3 == 0 else [("seq", b"%d" % i)]
    return key, value, headers, base_timestamp + i // 7


messages = [message(i) for i in range(COUNT)]
reports = [None] * COUNT
errors = []


def delivered(index):
    def report(error, delivered_message):
        if error is not None:
            errors.append((index, error))
        else:
            reports[index] = (delivered_message.partition(), delivered_message.offset())
    return report


producer = Producer({"bootstrap.servers": bootstrap(), "acks": "all", "linger.ms": 20,
                     "batch.num.messages": 10000, "queue.buffering.max.messages": 200000})
started = time.monotonic()
for index, (key, value, headers, timestamp) in enumerate(messages):
    while True:
        try:
            producer.produce(topic, value=value, key=key, headers=headers, timestamp=timestamp,
                             on_delivery=delivered(index))
            break
        except BufferError:
            producer.poll(0.05)
    if index % 1000 == 0:
        producer.poll(0)
remaining = producer.flush(60)
log("produced %d in %.2fs", COUNT, time.monotonic() - started)
check(remaining == 0, "%d messages still undelivered after 60s", remaining)
check(not errors, "%d delivery errors, first: %s", len(errors), errors[:3])
check(None not in reports, "%d messages without a delivery report", reports.count(None))

by_position = {}
for index, position in enumerate(reports):
    check(position not in by_position, "two messages reported at %s", position)
    by_position[position] = index
counts = [0] * PARTITIONS
for partition, _ in reports:
    counts[partition] += 1
for partition in range(PARTITIONS):
    offsets = sorted(offset for p, offset in reports if p == partition)
    check(offsets == list(range(counts[partition])),
          "partition %d: reported offsets are not 0..%d", partition, counts[partition] - 1)
log("all delivered; per partition %s", counts)

consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": "interop-unused",
                     "enable.auto.commit": False, "enable.partition.eof": True,
                     "check.crcs": True, "auto.offset.reset": "error"})
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
at_end, received = set(), 0
next_offset = [0] * PARTITIONS
started = time.monotonic()
deadline = started + 120
while len(at_end) < PARTITIONS or received < COUNT:
    check(time.monotonic() < deadline, "consumed %d of %d in 120s", received, COUNT)
    for record in consumer.consume(num_messages=10000, timeout=1):
        error = record.error()
        if error is not None:
            if error.code() == KafkaError._PARTITION_EOF:
                if next_offset[record.partition()] == counts[record.partition()]:
                    at_end.add(record.partition())
                continue
            raise AssertionError("consumer error: %s" % error)
        partition, offset = record.partition(), record.offset()
        check(offset == next_offset[partition], "partition %d: offset %d after %d",
              partition, offset, next_offset[partition] - 1)
        next_offset[partition] += 1
        received += 1
        index = by_position.get((partition, offset))
        check(index is not None, "no message was reported at %d/%d", partition, offset)
        key, value, headers, timestamp = messages[index]
        check(record.key() == key and record.value() == value,
              "%d/%d: key/value differ from message %d", partition, offset, index)
        check(record.timestamp() == (TIMESTAMP_CREATE_TIME, timestamp),
              "%d/%d: timestamp %s, sent %d", partition, offset, record.timestamp(), timestamp)
        check((record.headers() or []) == headers, "%d/%d: headers %r, sent %r",
              partition, offset, record.headers(), headers)
consumer.close()
check(next_offset == counts, "read %s per partition, produced %s", next_offset, counts)
log("consumed all %d back in %.2fs: order, keys, values, headers, timestamps identical",
    received, time.monotonic() - started)
