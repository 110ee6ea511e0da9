"""kcat produces keyed messages with three headers into 3-partition topics, one per codec (none,
gzip, snappy, lz4, zstd); `gregor consume --output json` reads each back identically: every key,
value and header, each message at the partition and offset where kcat itself reads it, offsets
0..n-1 per partition in the order produced, CreateTime timestamps within the produce run."""
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from interop import CODEC_IDS, bootstrap, check, env, log, run, scratch, unique_topic  # noqa: E402

COUNT, PARTITIONS = 10_000, 3
headers = [("trace", "kcat-to-gregor"), ("empty", ""), ("unicode", "ü=✓")]
header_args = [arg for name, value in headers for arg in ("-H", "%s=%s" % (name, value))]

for codec in CODEC_IDS:
    topic = unique_topic("kcat-gregor-" + codec)
    create_topic(topic, PARTITIONS)
    rng = random.Random(codec)
    words = ["kafka", "kcat", "grüße", "中文", "z" * 33, "9876543210"]
    messages = [("key%05d" % i, "" if i % 500 == 1 else " ".join(rng.choice(words) for _ in range(rng.randrange(0, 50))))
                for i in range(COUNT)]
    input_path = scratch("kcat-%s.in" % codec)
    with open(input_path, "w", encoding="utf-8", newline="\n") as out:
        out.writelines("%s\t%s\n" % m for m in messages)
    started_ms = int(time.time() * 1000)
    run(["kcat", "-P", "-b", bootstrap(), "-t", topic, "-K", r"\t", "-l", input_path, "-X", "compression.codec=" + codec,
         "-X", "linger.ms=50", "-X", "batch.num.messages=5000"] + header_args)
    finished_ms = int(time.time() * 1000)

    result, _ = run(["kcat", "-C", "-b", bootstrap(), "-t", topic, "-o", "beginning", "-e", "-q", "-f", r"%p\t%o\t%k\n"])
    kcat_places = {}
    for line in result.stdout.decode().splitlines():
        partition, offset, key = line.split("\t")
        kcat_places[key] = (int(partition), int(offset))
    check(len(kcat_places) == COUNT, "kcat reads back %d keys", len(kcat_places))

    result, seconds = run(["dotnet", env("GREGOR_DLL"), "consume", topic, "-b", bootstrap(), "--from-beginning",
                           "--output", "json", "--count", str(COUNT), "--timeout-ms", "10000"])
    records = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    check(len(records) == COUNT, "gregor consume printed %d records of %d", len(records), COUNT)
    expected = dict(messages)
    by_partition = {}
    for r in records:
        key = r["key"]
        check(r["topic"] == topic, "topic %r", r["topic"])
        check(r["value"] == expected[key], "%s: value of %s differs: %r", codec, key, r["value"][:60])
        check("keyEncoding" not in r and "valueEncoding" not in r, "%s: text came as base64: %r", codec, r)
        check([(h["key"], h["value"]) for h in r["headers"]] == headers, "%s: headers of %s: %r", codec, key, r["headers"])
        check((r["partition"], r["offset"]) == kcat_places[key], "%s: %s at %s/%s, kcat reads it at %s",
              codec, key, r["partition"], r["offset"], kcat_places[key])
        check(r["timestampType"] == "CreateTime" and started_ms - 1000 <= r["timestamp"] <= finished_ms + 1000,
              "%s: timestamp of %s: %s %s", codec, key, r["timestampType"], r["timestamp"])
        by_partition.setdefault(r["partition"], []).append((r["offset"], key))
    for partition, got in by_partition.items():
        check([o for o, _ in got] == list(range(len(got))), "%s: partition %d offsets not 0..n-1 in order", codec, partition)
        check([k for _, k in got] == sorted(k for _, k in got), "%s: partition %d not in produce order", codec, partition)
    log("%s: gregor consume read %d kcat messages identically in %.2fs (per partition %s)", codec, COUNT, seconds,
        {p: len(g) for p, g in sorted(by_partition.items())})
