"""ListOffsets by timestamp through confluent-kafka's offsets_for_times: 1,000 messages with
known timestamps (10 ms apart), the first 500 in uncompressed batches of 100, the rest in
gzip batches; a query for a timestamp returns the first offset whose timestamp is at least
it, also when that offset sits inside a batch (compressed or not). Earliest/latest too."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from admin import create_topic  # noqa: E402
from interop import bootstrap, check, log, unique_topic  # noqa: E402

COUNT, STEP = 1000, 10
topic = unique_topic("offsets-for-times")
create_topic(topic, 1)
base = int(time.time() * 1000) - 600_000

for codec, first, last in [("none", 0, 500), ("gzip", 500, COUNT)]:
    producer = Producer({"bootstrap.servers": bootstrap(), "acks": "all",
                         "compression.codec": codec, "linger.ms": 1000})
    for start in range(first, last, 100):
        for i in range(start, start + 100):
            producer.produce(topic, value=b"v%d" % i, timestamp=base + i * STEP, partition=0)
        check(producer.flush(30) == 0, "batch at %d not delivered", start)

consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": "interop-unused",
                     "enable.auto.commit": False})
low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
check((low, high) == (0, COUNT), "watermarks %s, expected (0, %d)", (low, high), COUNT)

queries = {
    "the middle message (first of a batch)": (base + 500 * STEP, 500),
    "a message inside an uncompressed batch": (base + 255 * STEP, 255),
    "a message inside a gzip batch": (base + 777 * STEP, 777),
    "between two messages": (base + 555 * STEP - 5, 555),
    "before the first": (base - 60_000, 0),
    "the last": (base + (COUNT - 1) * STEP, COUNT - 1),
    "after the last": (base + COUNT * STEP, -1),
}
for what, (timestamp, expected) in queries.items():
    found = consumer.offsets_for_times([TopicPartition(topic, 0, timestamp)], timeout=10)[0]
    check(found.error is None, "%s: error %s", what, found.error)
    check(found.offset == expected, "offsets_for_times(%s, ts=%d) = %d, expected %d",
          what, timestamp, found.offset, expected)
    log("%-40s ts=base+%-6d -> offset %d", what, timestamp - base, found.offset)
consumer.close()
