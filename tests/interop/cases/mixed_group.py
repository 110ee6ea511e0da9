"""kafkajs and confluent-kafka (librdkafka) consumers in ONE group. Both use protocol type
"consumer", but their default assignors have different names on the wire: kafkajs offers only
"RoundRobinAssigner", librdkafka "range" and "roundrobin". So:
- with defaults they cannot agree: whichever joins second gets INCONSISTENT_GROUP_PROTOCOL (23)
  from JoinGroup (librdkafka reports it from poll() and retries; kafkajs crashes with it), and the
  member already in the group keeps its generation and its partitions;
- given a common protocol (kafkajs's round-robin assignor offered under librdkafka's name
  "roundrobin") they share a 6-partition topic while messages flow: first a kafkajs leader assigns
  partitions to both, then that member leaves and librdkafka leads, assigning to a new kafkajs
  member. At each stage DescribeGroups shows both members with disjoint assignments covering every
  partition; every message is consumed exactly once (both commit what they read before giving a
  partition up) with the value produced there."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from groups import committed_at, describe, wait_until  # noqa: E402
from interop import bootstrap, check, log, scratch, unique_topic  # noqa: E402

PARTITIONS = 6
HERE = os.path.dirname(os.path.abspath(__file__))
NODE_MEMBER = os.path.join(HERE, "..", "node", "group-member.js")

if len(sys.argv) > 1 and sys.argv[1] == "member":
    # A confluent-kafka member: "A", "R", "C" and "E" lines as group-member.js writes them.
    from confluent_kafka import Consumer, KafkaException
    _, _, topic, group, strategy, out_path = sys.argv
    out = open(out_path, "w", buffering=1)
    config = {"bootstrap.servers": bootstrap(), "group.id": group, "enable.auto.commit": False,
              "auto.offset.reset": "earliest", "session.timeout.ms": 6000,
              "heartbeat.interval.ms": 300, "client.id": "rdkafka-member"}
    if strategy != "default":
        config["partition.assignment.strategy"] = strategy
    consumer = Consumer(config)

    def assigned(_consumer, partitions):
        out.write("A - rdkafka %s\n" % (",".join(str(p.partition) for p in partitions) or "-"))

    consumer.subscribe([topic], on_assign=assigned)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    while not stop:
        message = consumer.poll(0.2)
        if message is None:
            continue
        if message.error():
            out.write("E %d %s\n" % (message.error().code(), message.error().name()))
            continue
        out.write("R %d %d %s\n" % (message.partition(), message.offset(), message.value().decode()))
        try:
            consumer.commit(message=message, asynchronous=False)
        except KafkaException as e:
            # Logged, not fatal: the exactly-once check below then names the message read again.
            out.write("E %d %s\n" % (e.args[0].code(), e.args[0].name()))
            continue
        out.write("C %d %d -\n" % (message.partition(), message.offset() + 1))
    consumer.close()
    sys.exit(0)

from confluent_kafka import Producer  # noqa: E402


class Member:
    """A member process (kafkajs or confluent-kafka) and the lines it wrote."""

    def __init__(self, name, kind, topic, group, protocol):
        self.name, self.kind = name, kind
        self.out = scratch("%s-%s.out" % (group, name))
        open(self.out, "w").close()
        self.err = open(scratch("%s-%s.err" % (group, name)), "wb")
        if kind == "kafkajs":
            options = {"topic": topic, "group": group, "out": self.out, "commit": "auto",
                       "assigner": protocol, "clientId": "kafkajs-member"}
            command = ["node", NODE_MEMBER, json.dumps(options)]
        else:
            command = [sys.executable, os.path.abspath(__file__), "member", topic, group, protocol, self.out]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=self.err)

    def lines(self, kind):
        with open(self.out) as f:
            return [line.split() for line in f if line.startswith(kind + " ")]

    def reads(self):
        return [(int(p), int(o), v) for _, p, o, v in self.lines("R")]

    def stop(self, sig=signal.SIGTERM):
        self.process.send_signal(sig)
        code = self.process.wait(15)
        self.err.close()
        return code

    def stderr_tail(self):
        with open(self.err.name, "rb") as f:
            return f.read()[-2000:].decode(errors="replace")


topic = unique_topic("mixed-group")
create_topic(topic, PARTITIONS)
producer = Producer({"bootstrap.servers": bootstrap(), "linger.ms": 2})
produced = [0]
last_produce = [0.0]


def pump():
    """Keeps messages flowing: one per partition every 20 ms; the o-th message of partition p
    carries o * PARTITIONS + p."""
    if time.monotonic() - last_produce[0] >= 0.02:
        for p in range(PARTITIONS):
            producer.produce(topic, value=str(produced[0] + p).encode(), partition=p)
        produced[0] += PARTITIONS
        last_produce[0] = time.monotonic()
    producer.poll(0)


def wait_for(what, predicate, timeout, pumping=True):
    return wait_until(what, predicate, timeout, interval=0.02, between=pump if pumping else None)


def clients(group):
    """(state, protocol, {client id: partitions}) as DescribeGroups tells; no state before the
    group exists."""
    state, protocol, members = describe(group)
    return state, protocol, {client: partitions for _, client, partitions in members}


def stable_with(group, names):
    state, protocol, members = clients(group)
    if state == "Stable" and sorted(members) == sorted(names):
        return protocol, members
    return None


everyone = []


def start(name, kind, group, protocol):
    member = Member(name, kind, topic, group, protocol)
    everyone.append(member)
    return member


try:
    # 1. Defaults: no common protocol. kafkajs first in one group, confluent-kafka first in another.
    g1, g2 = topic + "-kafkajs-first", topic + "-rdkafka-first"
    k1 = start("k1", "kafkajs", g1, "default")
    r2 = start("r2", "confluent", g2, "default")
    wait_for("each first member alone in its group",
             lambda: stable_with(g1, ["kafkajs-member"]) and stable_with(g2, ["rdkafka-member"]), 20)
    check(clients(g1)[1] == "RoundRobinAssigner", "kafkajs's group chose %s", clients(g1)[1])
    check(clients(g2)[1] == "range", "librdkafka's group chose %s", clients(g2)[1])
    r1 = start("r1", "confluent", g1, "default")
    k2 = start("k2", "kafkajs", g2, "default")
    wait_for("confluent-kafka refused by kafkajs's group", lambda: any(e[1] == "23" for e in r1.lines("E")), 20)
    code = k2.process.wait(20)
    k2_errors = [" ".join(e[1:]) for e in k2.lines("E")]
    check(code == 3 and k2_errors and k2_errors[0].startswith("INCONSISTENT_GROUP_PROTOCOL"),
          "kafkajs joining librdkafka's group: exit %s, errors %s, %s", code, k2_errors, k2.stderr_tail())
    k1_reads, r2_reads = len(k1.reads()), len(r2.reads())
    wait_for("the first members still consuming", lambda: len(k1.reads()) > k1_reads + 30 and len(r2.reads()) > r2_reads + 30, 10)
    check(stable_with(g1, ["kafkajs-member"]) and stable_with(g2, ["rdkafka-member"]),
          "a refused member changed the group: %s / %s", clients(g1), clients(g2))
    check({a[1] for a in k1.lines("A")} == {"1"}, "kafkajs's group moved past generation 1: %s", k1.lines("A"))
    check(not r1.lines("A") and not r1.reads(), "the refused confluent-kafka member got partitions")
    log("defaults: kafkajs offers RoundRobinAssigner, librdkafka range/roundrobin; the second to join "
        "gets 23 (librdkafka: %d times from poll, kafkajs: crashed), the first keeps consuming",
        len(r1.lines("E")))
    for m in (k1, r1, r2):
        check(m.stop() == 0, "%s did not stop cleanly: %s", m.name, m.stderr_tail())

    # 2. A common protocol: "roundrobin".
    g3 = topic + "-shared"
    shared = [start("k3", "kafkajs", g3, "roundrobin")]
    wait_for("kafkajs alone in the shared group", lambda: stable_with(g3, ["kafkajs-member"]), 20)
    shared.append(start("r3", "confluent", g3, "roundrobin"))
    stages = []
    for stage in ("kafkajs leads", "librdkafka leads"):
        protocol, members = wait_for("kafkajs and confluent-kafka sharing the group (%s)" % stage,
                                     lambda: stable_with(g3, ["kafkajs-member", "rdkafka-member"]), 30)
        owned = [p for ps in members.values() for p in ps]
        check(protocol == "roundrobin", "shared group chose %s", protocol)
        check(sorted(owned) == list(range(PARTITIONS)) and all(members.values()),
              "%s: assignments %s", stage, members)
        kafkajs_member = shared[0] if stage == "kafkajs leads" else shared[2]
        # The broker reports the group Stable once the leader's SyncGroup is in; the kafkajs member
        # logs its join only when its own SyncGroup answer has arrived, a moment later.
        joins = wait_for("the kafkajs member's join logged (%s)" % stage, lambda: kafkajs_member.lines("J"), 10)
        role = joins[-1][2]
        check(role == ("leader" if stage == "kafkajs leads" else "member"), "%s: the kafkajs member is %s", stage, role)
        counts = [len(m.reads()) for m in (kafkajs_member, shared[1])]
        wait_for("both consuming (%s)" % stage, lambda: len(kafkajs_member.reads()) > counts[0] + 30
                 and len(shared[1].reads()) > counts[1] + 30, 15)
        stages.append("%s: kafkajs %s, librdkafka %s" % (stage, members["kafkajs-member"], members["rdkafka-member"]))
        if stage == "kafkajs leads":
            check(shared[0].stop() == 0, "k3 did not leave cleanly: %s", shared[0].stderr_tail())
            wait_for("librdkafka alone", lambda: stable_with(g3, ["rdkafka-member"]), 20)
            shared.append(start("k4", "kafkajs", g3, "roundrobin"))

    check(producer.flush(10) == 0, "messages not delivered")
    per_partition = produced[0] // PARTITIONS
    # Read and committed to the end of every partition: nothing is left to read, so a message read
    # twice is in the members' output before they stop.
    wait_for("every message consumed and committed",
             lambda: len({(p, o) for m in shared for p, o, _ in m.reads()}) >= produced[0]
             and committed_at(g3, topic, {p: per_partition for p in range(PARTITIONS)}), 30, pumping=False)
    for m in shared[1:]:
        check(m.stop() == 0, "%s did not stop cleanly: %s", m.name, m.stderr_tail())
    reads = [r for m in shared for r in m.reads()]
    seen = {}
    for p, o, v in reads:
        check((p, o) not in seen, "partition %d offset %d read twice", p, o)
        check(int(v) == o * PARTITIONS + p, "partition %d offset %d holds %s", p, o, v)
        seen[(p, o)] = v
    missing = [(p, o) for p in range(PARTITIONS) for o in range(per_partition) if (p, o) not in seen]
    check(not missing, "never consumed: %s", missing[:10])
    log("shared group (roundrobin): %s; %d messages each consumed exactly once (kafkajs %d, librdkafka %d)",
        "; ".join(stages), len(seen), sum(len(m.reads()) for m in shared if m.kind == "kafkajs"),
        len(shared[1].reads()))
finally:
    for m in everyone:
        if m.process.poll() is None:
            m.process.kill()
