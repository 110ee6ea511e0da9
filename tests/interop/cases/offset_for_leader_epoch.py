"""OffsetForLeaderEpoch over a socket to the running broker, in the framings clients send: v2 as librdkafka sends
it when it validates a position (CurrentLeaderEpoch, LeaderEpoch), v3 with a replica id as a follower sends it, and
v0 (no epoch in the answer). ApiVersions advertises 0-4. A topic produced to by confluent-kafka at leader epoch 0:
epoch 0 ends at the log end; an epoch above every one the log knows gets (-1, -1) with no error; a current leader
epoch ahead of the broker's gets UNKNOWN_LEADER_EPOCH (75); an unknown topic or partition UNKNOWN_TOPIC_OR_PARTITION
(3). The handler's every case and version is in tests/Gregor.Broker.DataPlane.Tests; this shows it served by a real
broker through its network stack, next to a real client's data."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import Producer  # noqa: E402
import kafka_wire  # noqa: E402
from kafka_wire import Reader, connect, request, roundtrip, string  # noqa: E402
from admin import create_topic  # noqa: E402
from interop import bootstrap, check, log, unique_topic  # noqa: E402

API_OFFSET_FOR_LEADER_EPOCH = 23
UNKNOWN_TOPIC_OR_PARTITION, UNKNOWN_LEADER_EPOCH = 3, 75
COUNT = 7


def ask(sock, version, topic, partition, leader_epoch, current_leader_epoch=-1, replica_id=-2):
    """One partition's answer: (error, leader_epoch or None before v1, end_offset)."""
    body = struct.pack(">i", replica_id) if version >= 3 else b""
    body += struct.pack(">i", 1) + string(topic) + struct.pack(">i", 1) + struct.pack(">i", partition)
    if version >= 2:
        body += struct.pack(">i", current_leader_epoch)
    body += struct.pack(">i", leader_epoch)
    reader = Reader(roundtrip(sock, request(API_OFFSET_FOR_LEADER_EPOCH, version, 41, body)))
    check(reader.take(">i") == 41, "correlation id")
    if version >= 2:
        reader.take(">i")  # throttle time
    check(reader.take(">i") == 1 and reader.string() == topic, "one topic, the one asked")
    check(reader.take(">i") == 1, "one partition")
    error, answered_partition = reader.take(">hi")
    check(answered_partition == partition, "partition %d answered for %d", answered_partition, partition)
    epoch = reader.take(">i") if version >= 1 else None
    end_offset = reader.take(">q")
    return error, epoch, end_offset


topic = unique_topic("epochs")
create_topic(topic, 1)
producer = Producer({"bootstrap.servers": bootstrap(), "acks": "all"})
for i in range(COUNT):
    producer.produce(topic, value=b"v%d" % i, partition=0)
    check(producer.flush(30) == 0, "record %d not delivered", i)

with connect(bootstrap()) as sock:
    _, error, keys = kafka_wire.parse_api_versions_v0(roundtrip(sock, request(kafka_wire.API_API_VERSIONS, 0, 7, b"")))
    check(error == 0 and keys.get(API_OFFSET_FOR_LEADER_EPOCH) == (0, 4),
          "ApiVersions advertises OffsetForLeaderEpoch %s, expected (0, 4)", keys.get(API_OFFSET_FOR_LEADER_EPOCH))

    for version in (2, 3):
        answers = {
            "epoch 0": (ask(sock, version, topic, 0, 0, current_leader_epoch=0), (0, 0, COUNT)),
            "epoch 0, no current epoch": (ask(sock, version, topic, 0, 0), (0, 0, COUNT)),
            "an epoch above every known one": (ask(sock, version, topic, 0, 5, current_leader_epoch=0), (0, -1, -1)),
            "a current epoch ahead of the broker's": (ask(sock, version, topic, 0, 0, current_leader_epoch=3),
                                                      (UNKNOWN_LEADER_EPOCH, -1, -1)),
            "an unknown topic": (ask(sock, version, topic + "-nope", 0, 0), (UNKNOWN_TOPIC_OR_PARTITION, -1, -1)),
            "an unknown partition": (ask(sock, version, topic, 3, 0), (UNKNOWN_TOPIC_OR_PARTITION, -1, -1)),
        }
        for what, (got, expected) in answers.items():
            check(got == expected, "v%d, %s: (error, epoch, end offset) %s, expected %s", version, what, got, expected)
    follower = ask(sock, 3, topic, 0, 0, current_leader_epoch=0, replica_id=2)
    check(follower == (0, 0, COUNT), "v3 from a follower's replica id: %s", follower)
    v0 = ask(sock, 0, topic, 0, 0)
    check(v0 == (0, None, COUNT), "v0: %s", v0)

log("OffsetForLeaderEpoch v0, v2, v3 over the wire: epoch 0 ends at %d; unknown epoch (-1, -1); current epoch ahead 75; unknown 3"
    % COUNT)
