"""kcat produces 100,000 keyed messages with headers with one compression codec and consumes
them back; keys, values, headers and timestamps come back byte-identical, every partition's
offsets run 0..n-1 in the order produced, and the segment files hold batches of that codec
(the broker stores what the producer sent, it does not recompress).

Usage: kcat_roundtrip.py none|gzip|snappy|lz4|zstd
kcat 1.7.1 cannot set a timestamp per produced message, so timestamps are checked against
the producer's clock: every one lies within the produce run, none is before its predecessor
in its partition, and they are CreateTime."""
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from interop import (CODEC_IDS, bootstrap, check, env, log, run, scratch,  # noqa: E402
                     stored_batch_codecs, unique_topic)

COUNT = 100_000
PARTITIONS = 3
codec = sys.argv[1]
check(codec in CODEC_IDS, "unknown codec %s", codec)
topic = unique_topic("kcat-" + codec)
create_topic(topic, PARTITIONS)

# Values: varied lengths (0..400 bytes, a few 20 KB), repetitive enough to compress, with
# multi-byte UTF-8; never the tab (key delimiter) or newline (message delimiter).
rng = random.Random(codec)
words = ["gregor", "samsa", "käfer", "日本語", "x" * 37, "0123456789", "€", "Z"]
messages = []
for i in range(COUNT):
    if i % 9973 == 0:
        value = ("long-%d-" % i) + "".join(rng.choice(words) for _ in range(3000))
    elif i % 1000 == 7:
        value = ""
    else:
        value = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 40)))
    messages.append(("k%06d" % i, value))
input_path = scratch("kcat-%s.in" % codec)
with open(input_path, "w", encoding="utf-8", newline="\n") as out:
    out.writelines("%s\t%s\n" % message for message in messages)

headers = [("trace", "interop-%s" % codec), ("empty", ""), ("unicode", "ü=✓")]
header_args = [arg for name, value in headers for arg in ("-H", "%s=%s" % (name, value))]
started_ms = int(time.time() * 1000)
_, produce_seconds = run(
    ["kcat", "-P", "-b", bootstrap(), "-t", topic, "-K", r"\t", "-l", input_path, "-m", "10",
     "-X", "compression.codec=" + codec, "-X", "linger.ms=50",
     "-X", "batch.num.messages=10000", "-X", "queue.buffering.max.messages=200000"]
    + header_args)
finished_ms = int(time.time() * 1000)
log("produced %d messages (%s) in %.2fs", COUNT, codec, produce_seconds)

# Lengths before key and value make the comparison byte-exact (a lost or extra byte shows);
# the value is the last field so it may hold anything but the newline.
result, consume_seconds = run(
    ["kcat", "-C", "-b", bootstrap(), "-t", topic, "-o", "beginning", "-e", "-q", "-m", "10",
     "-f", r"%p\t%o\t%T\t%K\t%k\t%h\t%S\t%s\n"])
lines = result.stdout.split(b"\n")
check(lines[-1] == b"", "output does not end with a newline")
lines.pop()
log("consumed %d messages in %.2fs", len(lines), consume_seconds)
check(len(lines) == COUNT, "consumed %d messages, produced %d", len(lines), COUNT)

expected = {key.encode(): value.encode() for key, value in messages}
expected_headers = ",".join("%s=%s" % header for header in headers).encode()
by_partition = {}
for line in lines:
    partition, offset, timestamp, key_length, key, header_text, value_length, value = \
        line.split(b"\t", 7)
    check(int(key_length) == len(key) and int(value_length) == len(value),
          "lengths disagree with bytes at %s/%s", partition, offset)
    check(key in expected, "unexpected key %r at %s/%s", key, partition, offset)
    check(value == expected[key], "value of %r differs: %r... vs %r...",
          key, value[:60], expected[key][:60])
    check(header_text == expected_headers, "headers of %r: %r, expected %r",
          key, header_text, expected_headers)
    by_partition.setdefault(int(partition), []).append((int(offset), int(timestamp), key))

seen = set()
for partition, records in sorted(by_partition.items()):
    check([r[0] for r in records] == list(range(len(records))),
          "partition %d offsets are not 0..%d in order", partition, len(records) - 1)
    keys = [r[2] for r in records]
    check(keys == sorted(keys), "partition %d is not in produce order", partition)
    seen.update(keys)
    previous = 0
    for offset, timestamp, key in records:
        check(started_ms - 1000 <= timestamp <= finished_ms + 1000,
              "timestamp %d of %r outside the produce run %d..%d",
              timestamp, key, started_ms, finished_ms)
        check(timestamp >= previous, "partition %d: timestamp goes back at offset %d",
              partition, offset)
        previous = timestamp
check(len(seen) == COUNT, "%d distinct keys came back", len(seen))
log("per partition: %s", {p: len(r) for p, r in sorted(by_partition.items())})

result, _ = run(["kcat", "-C", "-b", bootstrap(), "-t", topic, "-p", "0", "-o", "beginning",
                 "-c", "3", "-J", "-q", "-m", "10"])
for line in result.stdout.decode().splitlines():
    envelope = json.loads(line)
    check(envelope["tstype"] == "create", "timestamp type %s, expected create", envelope["tstype"])

codecs = stored_batch_codecs(env("GREGOR_DATA_DIR"), topic, PARTITIONS)
for partition, found in codecs.items():
    check(found == {CODEC_IDS[codec]}, "partition %d stores batches with codecs %s, asked for %s%s",
          partition, found, CODEC_IDS[codec],
          # librdkafka (2.0.2) turns lz4 off unless the broker advertises FindCoordinator v0,
          # its test for a broker new enough to frame lz4 correctly.
          "; librdkafka sent them uncompressed: it uses lz4 only with brokers that "
          "advertise FindCoordinator (API 10)" if codec == "lz4" and found == {0} else "")
log("all %d messages identical; stored batches use codec %s", COUNT, codec)
