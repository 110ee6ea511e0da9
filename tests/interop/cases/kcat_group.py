"""Two `kcat -G` consumers in one group share a 4-partition topic: each partition goes to exactly
one of them, both get some, and every message produced after they joined is read exactly once."""
import atexit
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from gregor_member import kill_at_exit  # noqa: E402
from groups import committed_at, settled, wait_until  # noqa: E402
from interop import bootstrap, check, log, run, scratch, unique_topic  # noqa: E402

topic = unique_topic("kcat-group")
group = topic + "-group"
create_topic(topic, 4)

consumers = []
for name in ("a", "b"):
    out = open(scratch("kcat-group-%s.out" % name), "wb")
    consumers.append((out, subprocess.Popen(
        ["kcat", "-b", bootstrap(), "-G", group, "-f", "%p %o\\n", "-q", "-u",
         "-X", "auto.offset.reset=earliest", topic],
        stdout=out, stderr=subprocess.DEVNULL)))
    atexit.register(kill_at_exit, consumers[-1][1])  # a failed wait must not leave kcat running
# The group's first rebalance waits group.initial.rebalance.delay.ms (3 s) for more members.
wait_until("both kcat consumers sharing the topic", lambda: settled(group, 2, 4), 30)

per_partition = 100
for partition in range(4):
    payload = "".join("m%d-%d\n" % (partition, i) for i in range(per_partition)).encode()
    run(["kcat", "-P", "-b", bootstrap(), "-t", topic, "-p", str(partition)], input=payload)

def read(path):
    """(partition, offset) of every whole line kcat wrote (unbuffered, a line may be half written)."""
    with open(path) as f:
        return [tuple(map(int, line.split())) for line in f if line.endswith("\n") and len(line.split()) == 2]

# Nothing is left to read once every message arrived and the group committed the end of every
# partition (librdkafka's auto-commit): a message read twice would be in the output by then.
wait_until("every message read and the end of every partition committed",
           lambda: len(set(r for out, _ in consumers for r in read(out.name))) == 4 * per_partition
           and committed_at(group, topic, {p: per_partition for p in range(4)}), 30, interval=0.5)
for out, process in consumers:
    process.terminate()
    process.wait(10)
    out.close()
seen = [read(out.name) for out, _ in consumers]

partitions = [set(p for p, _ in s) for s in seen]
log("consumer a read %d messages from partitions %s, b %d from %s",
    len(seen[0]), sorted(partitions[0]), len(seen[1]), sorted(partitions[1]))
check(not (partitions[0] & partitions[1]), "both consumers read partitions %s", partitions[0] & partitions[1])
check(partitions[0] and partitions[1], "one consumer got no partition: %s", partitions)
check(partitions[0] | partitions[1] == {0, 1, 2, 3}, "partitions read: %s", partitions[0] | partitions[1])
everything = seen[0] + seen[1]
check(len(everything) == len(set(everything)), "some messages were read twice")
check(sorted(everything) == [(p, o) for p in range(4) for o in range(per_partition)],
      "expected offsets 0..%d of each partition once, got %d messages", per_partition - 1, len(everything))
