"""Two `gregor consume --group` processes and a `kcat -G` consumer in one group share a 4-partition
topic: each partition is read by exactly one of the three, every message exactly once, both gregor
members and kcat get partitions (librdkafka and Gregor's client read each other's subscriptions and
assignments, whoever leads). While they are members, `gregor group describe` lists the three with
disjoint assignments and, once the auto-commits are in, lag 0 on every partition; after SIGTERM the
gregor members close cleanly (exit 0, final commit, LeaveGroup) and the lag stays 0."""
import atexit
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from gregor_member import GregorMember, kill_at_exit  # noqa: E402
from interop import bootstrap, check, env, log, run, scratch, unique_topic  # noqa: E402

topic = unique_topic("gregor-consume-group")
group = topic + "-group"
partitions = 4
per_partition = 150
create_topic(topic, partitions)


def gregor_json(*args, may_fail=False):
    result = subprocess.run(["dotnet", env("GREGOR_DLL")] + list(args) + ["--bootstrap", bootstrap(), "--output", "json"],
                            capture_output=True, timeout=60)
    if may_fail and result.returncode != 0:
        return None
    check(result.returncode == 0, "gregor %s exited %d: %s", " ".join(args), result.returncode, result.stderr.decode(errors="replace"))
    return json.loads(result.stdout)


def produce(first, count):
    for p in range(partitions):
        payload = "".join("m%d-%d\n" % (p, i) for i in range(first, first + count)).encode()
        run(["kcat", "-P", "-b", bootstrap(), "-t", topic, "-p", str(p)], input=payload)


produce(0, per_partition // 2)
fast_commits = "auto.commit.interval.ms=1000"
members = [GregorMember("a", topic, group, fast_commits, "session.timeout.ms=10000")]
kcat_out = open(scratch("kcat.out"), "wb")
kcat = subprocess.Popen(["kcat", "-b", bootstrap(), "-G", group, "-f", "%p %o %s\\n", "-q", "-u",
                         "-X", "auto.offset.reset=earliest", "-X", fast_commits, "-X", "client.id=kcat-member", topic],
                        stdout=kcat_out, stderr=subprocess.DEVNULL)
atexit.register(kill_at_exit, kcat)
members.append(GregorMember("b", topic, group, fast_commits, "session.timeout.ms=10000"))


def kcat_records():
    with open(kcat_out.name) as f:
        return [(int(p), int(o), v) for p, o, v in (line.split() for line in f if line.count(" ") == 2 and line.endswith("\n"))]


def described():
    return gregor_json("group", "describe", group)


# Wait for one generation with all three as members, each with partitions, none shared.
deadline = time.time() + 60
while True:
    d = gregor_json("group", "describe", group, "--members", may_fail=True) or {"state": "none yet", "members": []}
    owners = {m["clientId"]: set(a["partition"] for a in m["assignment"]) for m in d["members"]}
    if d["state"] == "Stable" and sorted(owners) == ["gregor-a", "gregor-b", "kcat-member"] and all(owners.values()) \
            and sum(len(s) for s in owners.values()) == len(set().union(*owners.values())) == partitions:
        break
    check(time.time() < deadline, "the group did not settle with three members: %s", json.dumps(d))
    time.sleep(1)
log("assignment: %s", {c: sorted(s) for c, s in owners.items()})
produce(per_partition // 2, per_partition // 2)



def all_reads():
    return {"a": [(p, o) for p, o, _ in members[0].records()], "b": [(p, o) for p, o, _ in members[1].records()],
            "kcat": [(p, o) for p, o, _ in kcat_records()]}


deadline = time.time() + 60
while True:
    reads = all_reads()
    if len(set(r for rs in reads.values() for r in rs)) >= partitions * per_partition:
        break
    check(time.time() < deadline, "only %d of %d messages read", sum(len(r) for r in reads.values()), partitions * per_partition)
    time.sleep(0.5)

# The members commit every second (kcat through librdkafka's auto-commit, the gregor members through theirs).
# Lag 0 everywhere: nothing is left to read, so anything read twice shows in the reads taken after it.
deadline = time.time() + 20
while True:
    d = described()
    rows = {row["partition"]: row for row in d["partitions"] if row["topic"] == topic}
    if d["state"] == "Stable" and sorted(rows) == list(range(partitions)) and all(row["lag"] == 0 for row in rows.values()):
        break
    check(time.time() < deadline, "describe while the members are in: %s", json.dumps(d))
    time.sleep(1)
reads = all_reads()
everything = [r for rs in reads.values() for r in rs]
check(len(everything) == len(set(everything)), "%d messages read twice", len(everything) - len(set(everything)))
check(sorted(everything) == [(p, o) for p in range(partitions) for o in range(per_partition)],
      "expected every offset of every partition once, got %d messages", len(everything))
by_member = {name: set(p for p, _ in rs) for name, rs in reads.items()}
log("partitions read: gregor a %s, gregor b %s, kcat %s", sorted(by_member["a"]), sorted(by_member["b"]), sorted(by_member["kcat"]))
check(all(by_member.values()), "a member read nothing: %s", by_member)
check(sum(len(s) for s in by_member.values()) == partitions, "a partition was read by two members: %s", by_member)
for p, row in rows.items():
    check(row["logEndOffset"] == per_partition and row["currentOffset"] == per_partition and row["lag"] == 0,
          "partition %d while the members are in: %s", p, json.dumps(row))
    owner = {"gregor-a": "a", "gregor-b": "b", "kcat-member": "kcat"}.get(row["clientId"])
    check(owner is not None and p in by_member[owner], "partition %d: described as %s's, read by %s", p, row["clientId"], by_member)

for member in members:
    code = member.stop()
    check(code == 0, "gregor member %s exited %d: %s", member.name, code, member.errors())
    check("Processed a total of" in member.errors(), "gregor member %s: %s", member.name, member.errors())
kcat.terminate()
kcat.wait(15)
kcat_out.close()
d = described()
rows = {row["partition"]: row for row in d["partitions"] if row["topic"] == topic}
check(d["state"] == "Empty", "state after all left: %s", d["state"])
check(all(rows[p]["lag"] == 0 and rows[p]["currentOffset"] == per_partition for p in range(partitions)),
      "after the members left: %s", json.dumps(d["partitions"]))
log("%d messages in %d partitions read once by two gregor members and kcat; describe: lag 0 while in and after leaving",
    len(everything), partitions)
