"""gregor produce writes 20,000 keyed lines with one compression codec into 3 partitions; kcat and
confluent-kafka read them back identically: every key with its value (empty values, multi-byte
UTF-8, values up to ~24 KB), each partition's offsets 0..n-1 in the order produced, and the two
readers agree on where each record is. The segment files hold batches of that codec.

Usage: gregor_produce_read.py none|gzip|snappy|lz4|zstd
(The CLI sends no headers, so there are none to compare.)"""
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition  # noqa: E402
from admin import create_topic  # noqa: E402
from interop import (CODEC_IDS, bootstrap, check, env, log, run, scratch,  # noqa: E402
                     stored_batch_codecs, unique_topic)

COUNT, PARTITIONS = 20_000, 3
codec = sys.argv[1]
check(codec in CODEC_IDS, "unknown codec %s", codec)
topic = unique_topic("gregor-produce-" + codec)
create_topic(topic, PARTITIONS)

rng = random.Random("gregor-" + codec)
words = ["gregor", "samsa", "käfer", "日本語", "y" * 41, "0123456789", "€", "Q"]
messages = []
for i in range(COUNT):
    if i % 4999 == 0:
        value = ("long-%d-" % i) + "".join(rng.choice(words) for _ in range(3000))
    elif i % 997 == 3:
        value = ""
    else:
        value = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 30)))
    messages.append(("k%06d" % i, value))
expected = {key.encode(): value.encode() for key, value in messages}
input_path = scratch("gregor-%s.in" % codec)
with open(input_path, "w", encoding="utf-8", newline="\n") as out:
    out.writelines("%s\t%s\n" % message for message in messages)

with open(input_path, "rb") as lines:
    _, seconds = run(["dotnet", env("GREGOR_DLL"), "produce", topic, "-b", bootstrap(), "--key-separator", "\t",
                      "--compression-codec", codec, "--producer-property", "linger.ms=20"], stdin=lines)
log("gregor produce wrote %d lines (%s) in %.2fs", COUNT, codec, seconds)

# kcat: lengths before key and value make the comparison byte-exact.
result, _ = run(["kcat", "-C", "-b", bootstrap(), "-t", topic, "-o", "beginning", "-e", "-q",
                 "-f", r"%p\t%o\t%K\t%k\t%S\t%s\n"])
lines = result.stdout.split(b"\n")
check(lines.pop() == b"", "kcat output does not end with a newline")
check(len(lines) == COUNT, "kcat read %d records, gregor produced %d", len(lines), COUNT)
kcat_places = {}
by_partition = {}
for line in lines:
    partition, offset, key_length, key, value_length, value = line.split(b"\t", 5)
    check(int(key_length) == len(key) and int(value_length) == len(value), "lengths disagree at %s/%s", partition, offset)
    check(value == expected.get(key), "kcat: value of %r differs: %r...", key, value[:60])
    kcat_places[key] = (int(partition), int(offset))
    by_partition.setdefault(int(partition), []).append((int(offset), key))
for partition, records in by_partition.items():
    check([o for o, _ in records] == list(range(len(records))), "partition %d offsets are not 0..n-1", partition)
    keys = [k for _, k in records]
    check(keys == sorted(keys), "partition %d is not in the order produced", partition)
check(len(kcat_places) == COUNT, "kcat saw %d distinct keys", len(kcat_places))
log("kcat read all %d identically; per partition %s", COUNT, {p: len(r) for p, r in sorted(by_partition.items())})

consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": "unused-" + topic, "enable.auto.commit": False,
                     "check.crcs": True})
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
seen = 0
while seen < COUNT:
    batch = consumer.consume(5000, 10.0)
    check(batch, "confluent-kafka stopped after %d records", seen)
    for m in batch:
        check(m.error() is None, "confluent-kafka: %s", m.error())
        check(m.value() == expected.get(m.key()), "confluent-kafka: value of %r differs", m.key())
        check(kcat_places[m.key()] == (m.partition(), m.offset()), "confluent-kafka places %r at %s/%s, kcat at %s",
              m.key(), m.partition(), m.offset(), kcat_places[m.key()])
        seen += 1
consumer.close()
log("confluent-kafka read all %d identically, at the same partitions and offsets", seen)

codecs = stored_batch_codecs(env("GREGOR_DATA_DIR"), topic, PARTITIONS)
check(all(found == {CODEC_IDS[codec]} for found in codecs.values()), "stored batch codecs %s, asked for %s", codecs, CODEC_IDS[codec])
log("stored batches use codec %s", codec)
