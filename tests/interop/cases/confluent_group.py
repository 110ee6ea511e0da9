"""confluent-kafka consumers in one group (strategy from argv: range or cooperative-sticky) on a
6-partition topic: members join one after another while messages flow, each commits after every
message, one member is killed with SIGKILL, and the survivors take over its partitions at its
committed offsets. Checked: every offset of every partition is consumed (no gap), a partition taken
over from the killed member resumes at or before the member's last logged commit and never skips
past the committed offset, and at every moment no two live members read the same partition at
the same generation (each message is read at most twice: once before the kill, once after)."""
import atexit
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from gregor_member import kill_at_exit  # noqa: E402
from groups import committed_at, settled, wait_until  # noqa: E402
from interop import bootstrap, check, log, scratch, unique_topic  # noqa: E402

if len(sys.argv) > 1 and sys.argv[1] == "member":
    from confluent_kafka import Consumer, KafkaException
    _, _, topic, group, strategy, out_path = sys.argv
    out = open(out_path, "w", buffering=1)
    consumer = Consumer({"bootstrap.servers": bootstrap(), "group.id": group,
                         "partition.assignment.strategy": strategy, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
                         "heartbeat.interval.ms": 500})
    consumer.subscribe([topic])
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        message = consumer.poll(0.2)
        if message is None or message.error():
            continue
        out.write("R %d %d\n" % (message.partition(), message.offset()))
        try:
            consumer.commit(message=message, asynchronous=False)
        except KafkaException as e:
            # As an at-least-once application must: a commit refused while the group rebalances
            # (REBALANCE_IN_PROGRESS between JoinGroup and SyncGroup, as Kafka answers) leaves the
            # message to be read again by whoever owns the partition next.
            out.write("F %d %d %s\n" % (message.partition(), message.offset(), e.args[0].name()))
            continue
        out.write("C %d %d\n" % (message.partition(), message.offset() + 1))
        time.sleep(0.002)
    consumer.close()
    sys.exit(0)

from confluent_kafka import Producer  # noqa: E402

strategy = sys.argv[1] if len(sys.argv) > 1 else "range"
topic = unique_topic("confluent-group-" + strategy.replace("-", ""))
group = topic + "-group"
partitions = 6
create_topic(topic, partitions)

members = {}
def start(name):
    path = scratch("%s-%s.out" % (topic, name))
    open(path, "w").close()  # there to be read before the member writes to it
    members[name] = (path, subprocess.Popen([sys.executable, os.path.abspath(__file__), "member", topic, group, strategy, path]))
    atexit.register(kill_at_exit, members[name][1])  # a failed check must not leave members running

producer = Producer({"bootstrap.servers": bootstrap(), "linger.ms": 5})
produced = 0
def produce(count):
    global produced
    for _ in range(count):
        producer.produce(topic, value=str(produced).encode(), partition=produced % partitions)
        produced += 1
    producer.flush(10)

def read(name):
    records = []
    with open(members[name][0]) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and line.endswith("\n"):
                records.append((parts[0], int(parts[1]), int(parts[2])))
    return records


def has(name, kind):
    return any(k == kind for k, _, _ in read(name))


# Each member joins while the ones before it are reading what was just produced.
start("a")
produce(600)
wait_until("a reading", lambda: has("a", "R"), 30)
start("b")
produce(600)
wait_until("b reading", lambda: has("b", "R"), 30)
start("c")
produce(600)
# The victim must die holding partitions and having committed on them, in a generation of all three.
wait_until("a generation of all three, c reading and b committing",
           lambda: settled(group, 3, partitions) and has("c", "R") and has("b", "C"), 30)


def refused(name):
    """The commits the member was refused: {(partition, offset): error name}."""
    with open(members[name][0]) as f:
        return {(int(p), int(o)): error for kind, p, o, error in (line.split() for line in f if line.startswith("F "))}

victim = "b"
before_kill = read(victim)
members[victim][1].send_signal(signal.SIGKILL)
members[victim][1].wait(10)
killed_at_commits = {}
for kind, p, o in read(victim):
    if kind == "C":
        killed_at_commits[p] = o
killed_partitions = set(p for kind, p, _ in read(victim) if kind == "R")
log("killed member %s after it read %d messages; its last commits %s", victim,
    sum(1 for k, _, _ in before_kill if k == "R"), killed_at_commits)
produce(600)
end = {p: sum(1 for i in range(produced) if i % partitions == p) for p in range(partitions)}


def consumed_everything():
    consumed = set((p, o) for name in ("a", "b", "c") for k, p, o in read(name) if k == "R")
    return all((p, o) in consumed for p in range(partitions) for o in range(end[p]))


# Once the survivors have read and committed the end of every partition, nothing more can be read:
# the duplicate count below is final.
wait_until("every message consumed and committed by the survivors",
           lambda: consumed_everything() and committed_at(group, topic, end), 60, interval=0.5)
for name in ("a", "c"):
    members[name][1].terminate()
for name in ("a", "c"):
    members[name][1].wait(15)

reads = {name: [(p, o) for k, p, o in read(name) if k == "R"] for name in ("a", "b", "c")}
consumed = set(r for rs in reads.values() for r in rs)
for p in range(partitions):
    missing = [o for o in range(end[p]) if (p, o) not in consumed]
    check(not missing, "partition %d: offsets never consumed: %s", p, missing[:10])
failed = {name: refused(name) for name in ("a", "b", "c")}
rebalancing = {"REBALANCE_IN_PROGRESS", "ILLEGAL_GENERATION", "UNKNOWN_MEMBER_ID"}
for name, errors in failed.items():
    unexpected = {e for e in errors.values() if e not in rebalancing}
    check(not unexpected, "member %s: commits refused with %s", name, sorted(unexpected))
for name, rs in reads.items():
    # A member reads a message again only where its commit was refused (the partition revoked and
    # given back before a later commit covered it).
    twice = sorted(r for r in set(rs) if rs.count(r) > 1 and r not in failed[name])
    check(not twice, "member %s read a message twice with its commit taken: %s", name, twice[:10])
# After the kill the survivors resume each of the victim's partitions at its committed offset (or the
# first uncommitted one): no later, or messages would be lost; no earlier than its last logged commit.
# The victim logs a commit after it returns, so the kill may fall between the two: the commit of its
# last read message may have taken effect unlogged, one past its last logged commit.
last_read = {}
for p, o in reads[victim]:
    last_read[p] = max(o, last_read.get(p, -1))
after_kill = {}
for name in ("a", "c"):
    for p, o in reads[name]:
        if p in killed_at_commits and o >= killed_at_commits[p] - 1 and (p not in after_kill or o < after_kill[p]):
            after_kill[p] = o
for p, committed in killed_at_commits.items():
    taken = min((o for name in ("a", "c") for q, o in reads[name] if q == p and o >= committed - 1), default=None)
    latest = last_read[p] + 1 if last_read.get(p, -1) >= committed else committed
    check(taken is not None and committed - 1 <= taken <= latest,
          "partition %d: the killed member committed %d (last read %s), the survivors went on from %s", p, committed,
          last_read.get(p), taken)
duplicates = sum(len(rs) for rs in reads.values()) - len(consumed)
refusals = sum(len(errors) for errors in failed.values())
log("%s: %d messages over %d partitions consumed by 3 members (one killed), %d read twice, which the kill "
    "and %d refused commits (%s) explain", strategy, len(consumed), partitions, duplicates, refusals,
    ", ".join(sorted({e for errors in failed.values() for e in errors.values()})) or "none")
# Each extra read is explained by the kill (at most two per partition the victim held) or by a
# refused commit (one message left uncommitted each).
check(duplicates <= len(killed_partitions) * 2 + refusals,
      "%d messages read twice, more than the kill and %d refused commits explain", duplicates, refusals)
