"""Publish/subscribe across clients: a group of two Gregor.Client consumers (`gregor consume --group`)
and a group of two confluent-kafka consumers on the same 4-partition topic, with messages produced
before and after they join. Each group receives every message exactly once, split between its own
members; after the Gregor members close (SIGTERM:
final commit, LeaveGroup) both groups' committed offsets, read by confluent-kafka, are at the end of
every partition."""
import atexit
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from gregor_member import GregorMember, kill_at_exit  # noqa: E402
from groups import committed, committed_at, settled, wait_until  # noqa: E402
from interop import bootstrap, check, log, scratch, unique_topic  # noqa: E402
from confluent_kafka import Producer  # noqa: E402

topic = unique_topic("gregor-confluent-pubsub")
partitions = 4
per_round = 400
create_topic(topic, partitions)
confluent_member = os.path.join(os.path.dirname(os.path.abspath(__file__)), "confluent_group.py")

producer = Producer({"bootstrap.servers": bootstrap(), "linger.ms": 5})
produced = 0


def produce(count):
    global produced
    for _ in range(count):
        producer.produce(topic, value=str(produced).encode(), partition=produced % partitions)
        produced += 1
    producer.flush(10)


produce(per_round)
gregor_group, confluent_group = topic + "-gregor", topic + "-confluent"
gregor = [GregorMember(name, topic, gregor_group) for name in ("a", "b")]
confluent = []
for name in ("c", "d"):
    path = scratch("%s-%s.out" % (topic, name))
    open(path, "w").close()  # there to be read before the member writes to it
    confluent.append((path, subprocess.Popen([sys.executable, confluent_member, "member", topic, confluent_group, "range", path])))
    atexit.register(kill_at_exit, confluent[-1][1])
wait_until("both groups sharing the topic among their two members",
           lambda: settled(gregor_group, 2, partitions) and settled(confluent_group, 2, partitions), 40)
produce(per_round)


def confluent_reads(path):
    with open(path) as f:
        return [(int(p), int(o)) for kind, p, o in (line.split() for line in f if line.endswith("\n") and len(line.split()) == 3) if kind == "R"]


everything = sorted((p, o) for p in range(partitions) for o in range(produced // partitions))
end = {p: produced // partitions for p in range(partitions)}


def distinct_reads():
    g = set(r for m in gregor for r in ((p, o) for p, o, _ in m.records()))
    c = set(r for path, _ in confluent for r in confluent_reads(path))
    return len(g), len(c)


# Both groups have read and committed everything: nothing is left to read, so a message read twice
# would show now.
wait_until(lambda: "every message read and committed by both groups: distinct reads (gregor, confluent) %s of %d" % (distinct_reads(), produced),
           lambda: distinct_reads() == (produced, produced) and committed_at(gregor_group, topic, end)
           and committed_at(confluent_group, topic, end), 60, interval=0.5)

for code, member in ((m.stop(), m) for m in gregor):
    check(code == 0, "gregor member %s exited %d: %s", member.name, code, member.errors())
for _, process in confluent:
    process.terminate()
    process.wait(15)
g = [[(p, o) for p, o, _ in m.records()] for m in gregor]
c = [confluent_reads(path) for path, _ in confluent]
for name, group_reads in (("gregor", g), ("confluent", c)):
    merged = group_reads[0] + group_reads[1]
    check(sorted(merged) == everything, "%s group: %d messages read, %d distinct, %d produced", name, len(merged), len(set(merged)), produced)
    first, second = (set(p for p, _ in rs) for rs in group_reads)
    log("%s group: members read partitions %s and %s", name, sorted(first), sorted(second))

for group in (gregor_group, confluent_group):
    offsets = committed(group, topic, partitions)
    check(offsets == end, "group %s committed %s", group, offsets)
log("both groups read all %d messages once each and committed the end of every partition", produced)
