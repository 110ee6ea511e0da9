"""gregor consume and perf consume as a user meets them: kafka-console-consumer's print.* fields
(timestamp, partition, offset, headers, key, value, in that order), --partition with --offset,
--from-timestamp, --count and --timeout-ms ending the run with exit 0, JSON lines; and the
failures: an unknown topic or partition, an unreachable broker (exit 1, one line on standard
error), bad arguments (exit 2). perf consume reports the records it read and fails when fewer come."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import Producer  # noqa: E402
from admin import create_topic  # noqa: E402
from interop import bootstrap, check, env, log, unique_topic  # noqa: E402


def gregor(*args, timeout=60):
    started = time.monotonic()
    result = subprocess.run(["dotnet", env("GREGOR_DLL")] + list(args), capture_output=True, timeout=timeout)
    return result.returncode, result.stdout.decode(), result.stderr.decode(), time.monotonic() - started


topic = unique_topic("gregor-consume-cli")
create_topic(topic, 2)
base = int(time.time() * 1000) - 60_000
producer = Producer({"bootstrap.servers": bootstrap()})
for i in range(10):
    producer.produce(topic, partition=i % 2, key=b"k%d" % i, value=b"v%d" % i, timestamp=base + i * 1000,
                     headers=[("n", b"%d" % i)] if i % 3 == 0 else None)
check(producer.flush(30) == 0, "confluent-kafka did not deliver everything")

rc, out, err, _ = gregor("consume", topic, "-b", bootstrap(), "--from-beginning", "--partition", "0", "--count", "5",
                         "--property", "print.timestamp=true", "--property", "print.partition=true",
                         "--property", "print.offset=true", "--property", "print.headers=true", "--property", "print.key=true")
check(rc == 0, "consume exited %d: %s", rc, err)
expected = ["CreateTime:%d\tPartition:0\tOffset:%d\t%s\tk%d\tv%d" % (base + i * 1000, i // 2, "n:%d" % i if i % 3 == 0 else "NO_HEADERS", i, i)
            for i in range(0, 10, 2)]
check(out.splitlines() == expected, "lines:\n%s\nexpected:\n%s", out, "\n".join(expected))
check(err.strip() == "Processed a total of 5 messages", "standard error: %r", err)

rc, out, _, _ = gregor("consume", topic, "-b", bootstrap(), "--partition", "1", "--offset", "3", "--count", "2", "-o", "json")
check(rc == 0 and [json.loads(l)["value"] for l in out.splitlines()] == ["v7", "v9"], "offset 3 of partition 1: %s", out)

rc, out, _, _ = gregor("consume", topic, "-b", bootstrap(), "--from-timestamp", str(base + 6500), "--timeout-ms", "1500",
                       "--property", "print.key=true")
check(rc == 0 and sorted(out.splitlines()) == ["k7\tv7", "k8\tv8", "k9\tv9"], "from a timestamp: %r", out)

rc, out, err, seconds = gregor("consume", topic, "-b", bootstrap(), "--timeout-ms", "1000")
check(rc == 0 and out == "" and "Processed a total of 0 messages" in err, "from the end, nothing new: rc %d %r %r", rc, out, err)
check(seconds < 20, "an idle consume took %.1fs to stop", seconds)

for args, code, words in [
    (["consume", "no-such-topic", "-b", bootstrap()], 1, "does not exist"),
    (["consume", topic, "-b", bootstrap(), "--partition", "7"], 1, "there is no partition 7"),
    (["consume", topic, "-b", "127.0.0.1:1", "--from-beginning"], 1, "127.0.0.1:1"),
    (["consume", topic, "-b", bootstrap(), "--offset", "soon"], 2, "'soon'"),
    (["consume", topic, "-b", bootstrap(), "--from-beginning", "--from-timestamp", "0"], 2, "give one of"),
    (["perf", "consume", "no-such-topic", "-b", bootstrap(), "--num-records", "1"], 1, "does not exist"),
]:
    rc, out, err, _ = gregor(*args)
    check(rc == code, "%s exited %d (expected %d): %s", " ".join(args), rc, code, err)
    check(words in err and len(err.strip().splitlines()) == 1, "%s: standard error %r", " ".join(args), err)
log("print options, offsets, timestamps, timeouts and failures behave")

rc, out, err, _ = gregor("perf", "consume", topic, "-b", bootstrap(), "--num-records", "10", "-o", "json")
report = json.loads(out)
check(rc == 0 and report["records"] == 10 and report["bytes"] == sum(len(b"k%dv%d" % (i, i)) for i in range(10)), "perf consume: %s %s", out, err)
rc, out, err, _ = gregor("perf", "consume", topic, "-b", bootstrap(), "--num-records", "11", "--timeout-ms", "1000", "-o", "json")
check(rc == 1 and json.loads(out)["records"] == 10 and "only 10 of 11" in err, "perf consume short of records: %d %s %s", rc, out, err)
log("perf consume reports %.0f records/s on this tiny topic", report["recordsPerSecond"])
