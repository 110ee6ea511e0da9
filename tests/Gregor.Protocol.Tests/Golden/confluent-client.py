"""Drives confluent-kafka-python against the capture broker.

Run with Debian's interpreter (the package is built for it): /usr/bin/python3 confluent-client.py
<host:port> <scenario>. Scenarios: create-topics, produce-edge-cases.
"""

import sys

from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

# Records that exercise the corners of the record format: null key, null value (tombstone),
# empty key/value/header value, a null header value, non-UTF-8 bytes and multi-byte UTF-8.
# Timestamps are explicit so the captured bytes do not depend on the clock.
EDGE_CASE_RECORDS = [
    (None, b"value-only", [], 1_700_000_000_001),
    (b"key-only", None, [], 1_700_000_000_002),
    (b"", b"", [("empty", b""), ("null", None)], 1_700_000_000_003),
    (b"\x00\xff\xfe", "h\u00e9llo \u2713".encode("utf-8"), [("bin", b"\x00\x01"), ("a", b"b")], 1_700_000_000_004),
]


def create_topics(broker):
    admin = AdminClient({"bootstrap.servers": broker})
    topic = NewTopic("golden-created", num_partitions=3, replication_factor=1,
                     config={"cleanup.policy": "compact"})
    for name, future in admin.create_topics([topic], request_timeout=10).items():
        future.result(timeout=15)
        print(f"created {name}")


def produce_edge_cases(broker):
    producer = Producer({"bootstrap.servers": broker, "linger.ms": 500, "acks": "all"})
    # Connect and learn the leader first, so all four records wait in one batch.
    producer.list_topics("golden", timeout=10)
    failures = []

    def on_delivery(error, message):
        if error is not None:
            failures.append(error)

    for key, value, headers, timestamp in EDGE_CASE_RECORDS:
        producer.produce("golden", key=key, value=value, headers=headers, partition=0,
                         timestamp=timestamp, on_delivery=on_delivery)
    remaining = producer.flush(15)
    if remaining or failures:
        sys.exit(f"{remaining} undelivered, errors: {failures}")
    print(f"delivered {len(EDGE_CASE_RECORDS)}")


SCENARIOS = {"create-topics": create_topics, "produce-edge-cases": produce_edge_cases}

if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[2] not in SCENARIOS:
        sys.exit(f"usage: confluent-client.py <host:port> <{'|'.join(SCENARIOS)}>")
    SCENARIOS[sys.argv[2]](sys.argv[1])
