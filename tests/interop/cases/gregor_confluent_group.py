"""Gregor.Client consumers (`gregor consume --group`) and confluent-kafka consumers in ONE group
(strategy from argv: range or cooperative-sticky) on a 6-partition topic while messages flow. Once all
four are in, the group's members hold disjoint partitions covering the topic and each message
produced then is read by exactly one member. Then one confluent-kafka member (committing after every
message) is killed with SIGKILL: after its session runs out the others take its partitions over at
its committed offsets, so every offset of every partition is consumed (no gap), the Gregor members
never read a message twice, and only the killed member's last uncommitted messages are read again."""
import atexit
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from gregor_member import GregorMember, kill_at_exit  # noqa: E402
from groups import committed, committed_at, wait_until  # noqa: E402
from interop import bootstrap, check, env, log, scratch, unique_topic  # noqa: E402
from confluent_kafka import Producer  # noqa: E402

strategy = sys.argv[1] if len(sys.argv) > 1 else "range"
topic = unique_topic("gregor-confluent-" + strategy.replace("-", ""))
group = topic + "-group"
partitions = 6
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


gregor_settings = ("partition.assignment.strategy=" + strategy, "session.timeout.ms=6000", "heartbeat.interval.ms=500")
gregor = {}
confluent = {}


def start_confluent(name):
    path = scratch("%s-%s.out" % (topic, name))
    open(path, "w").close()  # there to be read before the member writes to it
    # confluent_group.py's member mode: subscribes, logs "R p o" per message and "C p o" after each synchronous commit.
    confluent[name] = (path, subprocess.Popen([sys.executable, confluent_member, "member", topic, group, strategy, path]))
    atexit.register(kill_at_exit, confluent[name][1])


def confluent_log(name):
    entries = []
    with open(confluent[name][0]) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and line.endswith("\n"):
                entries.append((parts[0], int(parts[1]), int(parts[2])))
    return entries


def reads():
    found = {name: [(p, o) for p, o, _ in m.records()] for name, m in gregor.items()}
    for name in confluent:
        found[name] = [(p, o) for kind, p, o in confluent_log(name) if kind == "R"]
    return found


def members_view():
    result = subprocess.run(["dotnet", env("GREGOR_DLL"), "group", "describe", group, "--members", "--output", "json",
                             "--bootstrap", bootstrap()], capture_output=True, timeout=60)
    check(result.returncode == 0, "group describe: %s", result.stderr.decode(errors="replace"))
    return json.loads(result.stdout)


gregor["gregor-a"] = GregorMember("a", topic, group, *gregor_settings)
produce(300)
start_confluent("confluent-c")
produce(300)
gregor["gregor-b"] = GregorMember("b", topic, group, *gregor_settings)
start_confluent("confluent-d")
produce(300)

deadline = time.time() + 60
while True:
    view = members_view()
    assigned = [set((a["topic"], a["partition"]) for a in m["assignment"]) for m in view["members"]]
    if view["state"] == "Stable" and len(assigned) == 4 and all(assigned) and sum(len(a) for a in assigned) == partitions \
            and len(set().union(*assigned)) == partitions:
        break
    check(time.time() < deadline, "four members never shared the topic: %s", json.dumps(view))
    time.sleep(1)
log("%s: four members, assignment %s", strategy,
    {m["clientId"] + "/" + m["consumerId"][-6:]: sorted(a["partition"] for a in m["assignment"]) for m in view["members"]})

# Steady state: the messages produced now are each read by exactly one member.
first_steady_offset = produced // partitions  # produced is a multiple of the partition count here
produce(600)


def steady_reads():
    found = {}
    for name, rs in reads().items():
        for p, o in rs:
            if o >= first_steady_offset:
                found.setdefault((p, o), []).append(name)
    return found


def ends():
    return {p: sum(1 for i in range(produced) if i % partitions == p) for p in range(partitions)}


# Nothing is left to read once the group has committed the end of every partition: a steady-state
# message read by a second member would show by then.
wait_until("the steady-state messages read and committed",
           lambda: len(steady_reads()) == 600 and committed_at(group, topic, ends()), 40, interval=0.5)
steady = steady_reads()
check(len(steady) == 600, "%d of the 600 steady-state messages read", len(steady))
shared = {k: v for k, v in steady.items() if len(v) > 1}
check(not shared, "steady-state messages read by two members: %s", list(shared.items())[:5])
owners = {}
for (p, _), names in steady.items():
    owners.setdefault(p, set()).update(names)
check(all(len(v) == 1 for v in owners.values()), "a partition read by two members in the steady state: %s", owners)
check(any(n.startswith("gregor") for v in owners.values() for n in v) and any(n.startswith("confluent") for v in owners.values() for n in v),
      "both clients should read in the steady state: %s", owners)

victim = "confluent-d"
confluent[victim][1].send_signal(signal.SIGKILL)
confluent[victim][1].wait(10)
victim_commits = {}
for kind, p, o in confluent_log(victim):
    if kind == "C":
        victim_commits[p] = o
log("killed %s; its last logged commits %s", victim, victim_commits)
produce(600)
end = ends()


def consumed_everything():
    consumed = set(r for rs in reads().values() for r in rs)
    return all((p, o) in consumed for p in range(partitions) for o in range(end[p]))


def not_yet():
    consumed = set(r for rs in reads().values() for r in rs)
    missing = {p: sum(1 for o in range(end[p]) if (p, o) not in consumed) for p in range(partitions)}
    return "everything consumed and committed after the kill: missing %s, committed %s" % (missing, committed(group, topic, partitions))


wait_until(not_yet, lambda: consumed_everything() and committed_at(group, topic, end), 60, interval=0.5)
for name, member in gregor.items():
    code = member.stop()
    check(code == 0, "%s exited %d: %s", name, code, member.errors())
for name in ("confluent-c",):
    confluent[name][1].terminate()
    confluent[name][1].wait(15)

final = reads()
for name in gregor:
    check(len(final[name]) == len(set(final[name])), "%s read a message twice", name)
survivors = [n for n in final if n != victim]
# The victim logs a commit after it returns: the commit of its last read message may have taken effect
# unlogged when it was killed, one past its last logged commit.
last_read = {}
for p, o in final[victim]:
    last_read[p] = max(o, last_read.get(p, -1))
for p, committed in victim_commits.items():
    taken = min((o for n in survivors for q, o in final[n] if q == p and o >= committed - 1), default=None)
    latest = last_read[p] + 1 if last_read.get(p, -1) >= committed else committed
    check(taken is not None and committed - 1 <= taken <= latest,
          "partition %d: the killed member committed %d (last read %s), the others went on from %s", p, committed,
          last_read.get(p), taken)
total = sum(len(rs) for rs in final.values())
distinct = len(set(r for rs in final.values() for r in rs))
check(distinct == sum(end.values()), "%d distinct messages consumed of %d", distinct, sum(end.values()))
check(total - distinct <= len(victim_commits) * 2, "%d messages read twice, more than the kill explains", total - distinct)
log("%s: %d messages over %d partitions read by 2 Gregor and 2 confluent-kafka members (one killed), %d read twice around the kill",
    strategy, distinct, partitions, total - distinct)
