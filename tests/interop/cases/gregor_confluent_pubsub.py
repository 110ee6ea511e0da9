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
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from gregor_member import GregorMember, kill_at_exit  # noqa: E402
from interop import bootstrap, check, log, scratch, unique_topic  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

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
    confluent.append((path, subprocess.Popen([sys.executable, confluent_member, "member", topic, confluent_group, "range", path])))
    atexit.register(kill_at_exit, confluent[-1][1])
time.sleep(8)
produce(per_round)


def confluent_reads(path):
    with open(path) as f:
        return [(int(p), int(o)) for kind, p, o in (line.split() for line in f if line.endswith("\n") and len(line.split()) == 3) if kind == "R"]


everything = sorted((p, o) for p in range(partitions) for o in range(produced // partitions))
deadline = time.time() + 60
while True:
    g = [[(p, o) for p, o, _ in m.records()] for m in gregor]
    c = [confluent_reads(path) for path, _ in confluent]
    if sum(map(len, g)) >= produced and sum(map(len, c)) >= produced:
        break
    check(time.time() < deadline, "gregor group read %d, confluent group %d of %d", sum(map(len, g)), sum(map(len, c)), produced)
    time.sleep(0.5)
time.sleep(2)

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
    reader = Consumer({"bootstrap.servers": bootstrap(), "group.id": group})
    committed = {tp.partition: tp.offset for tp in reader.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)}
    reader.close()
    check(committed == {p: produced // partitions for p in range(partitions)}, "group %s committed %s", group, committed)
log("both groups read all %d messages once each and committed the end of every partition", produced)
