"""Bad input over raw sockets: oversize and negative frame sizes, random bytes, truncated and
too-short frames, an unknown API key, unsupported versions, a Produce with a corrupt CRC
(CORRUPT_MESSAGE 2), an oversize batch (MESSAGE_TOO_LARGE 10) and one for an unknown topic
(UNKNOWN_TOPIC_OR_PARTITION 3). Each gets its error code or a closed connection, as Kafka
does; the broker stays up without swallowing memory, a client producing and consuming
meanwhile sees no error, and the data acknowledged before is intact."""
import os
import random
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
import kafka_wire as wire  # noqa: E402
from admin import create_topic  # noqa: E402
from interop import (bootstrap, check, env, log, process_alive, rss_bytes,  # noqa: E402
                     unique_topic)

MAX_REQUEST_BYTES = 104857600  # socket.request.max.bytes default
TOPIC_MAX_MESSAGE_BYTES = 10000
broker_pid = int(env("GREGOR_PID"))
target, traffic = unique_topic("bad-input"), unique_topic("bad-input-traffic")
create_topic(target, 1, {"max.message.bytes": str(TOPIC_MAX_MESSAGE_BYTES)})
create_topic(traffic, 2)


class Traffic(threading.Thread):
    """A well-behaved client producing (acks=all) and consuming all along."""

    def __init__(self):
        super().__init__(daemon=True)
        self.acked, self.errors, self.consumed = {}, [], 0
        self.sent, self.stopping = 0, threading.Event()
        self.producer = Producer({"bootstrap.servers": bootstrap(), "acks": "all",
                                  "linger.ms": 2, "on_delivery": self.report})
        self.consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": "interop-unused",
                                  "enable.auto.commit": False, "check.crcs": True})
        self.consumer.assign([TopicPartition(traffic, p, OFFSET_BEGINNING) for p in range(2)])

    def report(self, error, message):
        if error is None:
            self.acked[int(message.value())] = (message.partition(), message.offset())
        else:
            self.errors.append("produce: %s" % error)

    def send(self, count):
        for _ in range(count):
            self.producer.produce(traffic, value=b"%d" % self.sent, partition=self.sent % 2)
            self.sent += 1
        self.producer.poll(0)

    def run(self):
        while not self.stopping.is_set():
            self.send(20)
            for record in self.consumer.consume(num_messages=1000, timeout=0.02):
                if record.error() is None:
                    self.consumed += 1
                elif record.error().code() != KafkaError._PARTITION_EOF:
                    self.errors.append("consume: %s" % record.error())

    def finish(self):
        self.stopping.set()
        self.join()
        self.producer.flush(30)
        self.consumer.close()


def record(i):
    return (b"key-%d" % i, b"value-%d" % i, [(b"h", b"%d" % i)])


results = []


def outcome(name, ok, detail):
    results.append((name, ok))
    log("%-4s %-44s %s", "ok" if ok else "FAIL", name, detail)


def produce_error(batch, topic=target):
    with wire.connect(bootstrap()) as sock:
        correlation_id, by_partition = wire.parse_produce_v3(
            wire.roundtrip(sock, wire.produce_v3(41, topic, 0, batch)))
        check(correlation_id == 41, "correlation id %d", correlation_id)
        error, base_offset = by_partition[(topic, 0)]
        # The connection stays usable after an error response.
        _, follow_up_error, _ = wire.parse_api_versions_v0(
            wire.roundtrip(sock, wire.request(wire.API_API_VERSIONS, 0, 42, b"")))
        return error, base_offset, follow_up_error


def expect_close(name, data, shutdown_write=False, timeout=5.0):
    with wire.connect(bootstrap()) as sock:
        try:
            sock.sendall(data)
            if shutdown_write:
                sock.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            outcome(name, True, "connection closed while sending")
            return
        closed, received = wire.wait_closed(sock, timeout)
    outcome(name, closed and not received,
            "connection closed" if closed and not received else
            "closed=%s after %d response bytes %r" % (closed, len(received), received[:40]))


# Data acknowledged before any bad input.
background = Traffic()
background.send(5000)
check(background.producer.flush(30) == 0, "before-data not delivered")
before = dict(background.acked)
check(len(before) == 5000 and not background.errors, "before-data: %d acked, errors %s",
      len(before), background.errors[:3])
rss_start = rss_bytes(broker_pid)
background.start()
deadline = time.monotonic() + 30
while background.consumed < len(before):
    check(time.monotonic() < deadline, "background consumer read %d of %d in 30s",
          background.consumed, len(before))
    time.sleep(0.05)
acked_at_start, consumed_at_start = len(background.acked), background.consumed
log("5000 messages acknowledged before and read back; broker RSS %d MiB; background traffic "
    "running", rss_start >> 20)

good = wire.record_batch([record(i) for i in range(3)], int(time.time() * 1000))
error, good_offset, follow_up = produce_error(good)
outcome("valid Produce v3 (control)", error == 0 and good_offset == 0 and follow_up == 0,
        "error %d at offset %d" % (error, good_offset))

corrupt = wire.record_batch([record(i) for i in range(3)], int(time.time() * 1000), True)
error, _, follow_up = produce_error(corrupt)
outcome("Produce with a corrupt CRC -> 2", error == wire.CORRUPT_MESSAGE and follow_up == 0,
        "error %d, then ApiVersions on the same connection: %d" % (error, follow_up))

oversize = wire.record_batch([(b"k", b"x" * (2 * TOPIC_MAX_MESSAGE_BYTES), [])],
                             int(time.time() * 1000))
error, _, follow_up = produce_error(oversize)
outcome("batch over max.message.bytes -> 10", error == wire.MESSAGE_TOO_LARGE and follow_up == 0,
        "error %d for a %d-byte batch (limit %d)" % (error, len(oversize), TOPIC_MAX_MESSAGE_BYTES))

error, _, follow_up = produce_error(good, topic=unique_topic("no-such-topic"))
outcome("Produce to an unknown topic -> 3",
        error == wire.UNKNOWN_TOPIC_OR_PARTITION and follow_up == 0, "error %d" % error)

with wire.connect(bootstrap()) as sock:
    correlation_id, error, keys = wire.parse_api_versions_v0(
        wire.roundtrip(sock, wire.api_versions_flexible(99, 77)))
outcome("ApiVersions v99 -> 35 in a v0 response",
        correlation_id == 77 and error == wire.UNSUPPORTED_VERSION
        and keys.get(wire.API_API_VERSIONS, (99, -1))[0] == 0,
        "correlation %d, error %d, ApiVersions range listed %s"
        % (correlation_id, error, keys.get(wire.API_API_VERSIONS)))

expect_close("Produce v99 -> connection closed",
             wire.request(wire.API_PRODUCE, 99, 5, b"\x00" * 32))
expect_close("unknown API key 9999 -> connection closed",
             wire.request(9999, 0, 6, b"\x00" * 16))
expect_close("frame shorter than a request header", struct.pack(">i", 3) + b"\x00\x12\x00")
expect_close("negative frame size", struct.pack(">i", -5) + b"\x00" * 16)
for claimed in (MAX_REQUEST_BYTES + 1, 2_000_000_000):
    expect_close("frame size %d (over socket.request.max.bytes)" % claimed,
                 struct.pack(">i", claimed) + b"\x00" * (1 << 20))
rng = random.Random(1234)
garbage = bytes(rng.randrange(256) for _ in range(2000))
expect_close("Produce v3 header + 2000 random bytes",
             wire.request(wire.API_PRODUCE, 3, 8, garbage))
expect_close("64 KiB of random bytes, then EOF",
             bytes(rng.randrange(256) for _ in range(65536)), shutdown_write=True)
expect_close("truncated frame (100 of 200 bytes), then EOF",
             wire.request(wire.API_API_VERSIONS, 0, 9, b"\x00" * 186)[:100], shutdown_write=True)

rss_end = rss_bytes(broker_pid)
outcome("broker alive, memory bounded", process_alive(broker_pid)
        and rss_end - rss_start < 150 << 20,
        "RSS %d -> %d MiB" % (rss_start >> 20, rss_end >> 20))
outcome("broker answers a new connection", wire.api_versions_ok(bootstrap()), "ApiVersions v0")

time.sleep(1.0)  # the well-behaved client's requests after the abuse must succeed too
acked_during = len(background.acked) - acked_at_start
consumed_during = background.consumed - consumed_at_start
background.finish()
outcome("background client: no errors, kept working",
        not background.errors and acked_during > 0 and consumed_during > 0,
        "%d acknowledged and %d consumed meanwhile, errors %s"
        % (acked_during, consumed_during, background.errors[:3]))

# Everything acknowledged (before and during) is where it was acknowledged.
reader = Consumer({"bootstrap.servers": bootstrap(), "group.id": "interop-unused",
                   "enable.auto.commit": False, "enable.partition.eof": True,
                   "check.crcs": True})
reader.assign([TopicPartition(traffic, p, OFFSET_BEGINNING) for p in range(2)]
              + [TopicPartition(target, 0, OFFSET_BEGINNING)])
stored, ended, deadline = {}, set(), time.monotonic() + 60
highs = {(t, p): reader.get_watermark_offsets(TopicPartition(t, p), timeout=10)[1]
         for t, p in [(traffic, 0), (traffic, 1), (target, 0)]}
while len(ended) < 3 and time.monotonic() < deadline:
    for message in reader.consume(num_messages=10000, timeout=1):
        place = (message.topic(), message.partition())
        if message.error() is None:
            stored[place + (message.offset(),)] = message
        elif message.error().code() == KafkaError._PARTITION_EOF:
            if sum(1 for key in stored if key[:2] == place) == highs[place]:
                ended.add(place)
reader.close()
lost = [s for s, (p, o) in background.acked.items()
        if (traffic, p, o) not in stored or int(stored[(traffic, p, o)].value()) != s]
outcome("acknowledged data intact", not lost and len(ended) == 3,
        "%d acknowledged messages checked, %d missing or different %s"
        % (len(background.acked), len(lost), lost[:5]))
raw = [stored.get((target, 0, i)) for i in range(highs[(target, 0)])]
expected = [record(i) for i in range(3)]
outcome("only the valid raw batch was stored",
        highs[(target, 0)] == 3 and all(
            m is not None and (m.key(), m.value(), m.headers()) == (k, v, [(hn.decode(), hv)
                                                                   for hn, hv in h])
            for m, (k, v, h) in zip(raw, expected)),
        "%d records in %s" % (highs[(target, 0)], target))

failed = [name for name, ok in results if not ok]
check(not failed, "%d of %d checks failed: %s", len(failed), len(results), "; ".join(failed))
