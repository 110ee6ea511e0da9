"""`gregor group` against a group of real confluent-kafka consumers. A consumer reads part of a
3-partition topic and commits; while it is still a member, `gregor group describe --output json`
shows each partition's committed offset, log-end offset and lag exactly as confluent's own
committed() and get_watermark_offsets() see them (lag = log end - committed), the member with its
client id and all three partitions, and `reset-offsets` is refused. After the consumer closes,
`gregor group reset-offsets --all-topics --to-earliest --execute` moves every offset to 0, and a new
consumer in the group (auto.offset.reset=latest, so only the committed offsets can make it start
there) reads every partition again from offset 0. Finally `gregor group delete` removes the group."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from interop import bootstrap, check, gregor, log, unique_topic  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402

topic = unique_topic("gregor-cli-group")
group = topic + "-group"
partitions = 3
per_partition = 100
create_topic(topic, partitions)


producer = Producer({"bootstrap.servers": bootstrap(), "linger.ms": 5})
for p in range(partitions):
    for i in range(per_partition):
        producer.produce(topic, value=("m%d-%d" % (p, i)).encode(), partition=p)
producer.flush(30)


def consumer(client_id, reset):
    c = Consumer({"bootstrap.servers": bootstrap(), "group.id": group, "client.id": client_id,
                  "enable.auto.commit": False, "auto.offset.reset": reset,
                  "session.timeout.ms": 10000, "heartbeat.interval.ms": 1000})
    c.subscribe([topic])
    return c


# Read part of the topic (different amounts per partition) and commit where each partition got to.
first = consumer("interop-reader", "earliest")
want = {0: 30, 1: 55, 2: 80}
read = {p: 0 for p in range(partitions)}
deadline = time.time() + 60
while any(read[p] < want[p] for p in want) and time.time() < deadline:
    message = first.poll(0.5)
    if message is None or message.error():
        continue
    p = message.partition()
    if read[p] < want[p]:
        read[p] += 1
        first.commit(offsets=[TopicPartition(topic, p, message.offset() + 1)], asynchronous=False)
check(read == want, "consumed %s, wanted %s", read, want)
tps = [TopicPartition(topic, p) for p in range(partitions)]
committed = {tp.partition: tp.offset for tp in first.committed(tps, timeout=10)}
high = {p: first.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
log("confluent sees committed %s, log ends %s", committed, high)
check(committed == want, "confluent's committed offsets %s, expected %s", committed, want)

described = gregor("group", "describe", group, "--output", "json")
check(described["state"] == "Stable", "state %s while the consumer is a member", described["state"])
rows = {row["partition"]: row for row in described["partitions"] if row["topic"] == topic}
check(sorted(rows) == list(range(partitions)), "partitions described: %s", sorted(rows))
for p, row in rows.items():
    check(row["currentOffset"] == committed[p], "partition %d: gregor says committed %s, confluent %s", p, row["currentOffset"], committed[p])
    check(row["logEndOffset"] == high[p], "partition %d: gregor says log end %s, confluent's high watermark %s", p, row["logEndOffset"], high[p])
    check(row["lag"] == high[p] - committed[p], "partition %d: lag %s, log end - committed = %d", p, row["lag"], high[p] - committed[p])
    check(row["clientId"] == "interop-reader", "partition %d: client id %r", p, row["clientId"])
    check(row["consumerId"], "partition %d has no member", p)
log("gregor group describe: lag %s", {p: rows[p]["lag"] for p in sorted(rows)})

members = gregor("group", "describe", group, "--members", "--output", "json")["members"]
check(len(members) == 1, "%d members", len(members))
assigned = sorted((a["topic"], a["partition"]) for a in members[0]["assignment"])
check(assigned == [(topic, p) for p in range(partitions)], "the member's assignment as gregor decodes it: %s", assigned)
state = gregor("group", "describe", group, "--state", "--output", "json")
check(state["assignmentStrategy"] in ("range", "roundrobin"), "assignor %r", state["assignmentStrategy"])
check(group in [g["groupId"] for g in gregor("group", "list", "--state", "Stable", "--output", "json")], "group not listed as Stable")

_, refused = gregor("group", "reset-offsets", group, "--all-topics", "--to-earliest", "--execute", expect_exit=1)
check("no active members" in refused, "reset while active said: %s", refused)

first.close()  # leaves the group
deadline = time.time() + 30
while gregor("group", "describe", group, "--state", "--output", "json")["state"] != "Empty":
    check(time.time() < deadline, "the group did not become Empty after its member closed")
    time.sleep(0.5)

plan = gregor("group", "reset-offsets", group, "--all-topics", "--to-earliest", "--output", "json")
check(not plan["executed"], "a reset without --execute was applied")
check(gregor("group", "describe", group, "--output", "json")["partitions"][0]["currentOffset"] == want[0], "a dry run moved an offset")
applied = gregor("group", "reset-offsets", group, "--all-topics", "--to-earliest", "--execute", "--output", "json")
check(applied["executed"], "reset not executed")
check(sorted((r["partition"], r["currentOffset"], r["newOffset"]) for r in applied["partitions"])
      == [(p, want[p], 0) for p in range(partitions)], "reset plan: %s", applied["partitions"])

# A new member starts where the group's offsets say: 0 everywhere, although it would otherwise start at the end.
second = consumer("interop-rereader", "latest")
first_offset = {}
count = 0
deadline = time.time() + 60
while count < partitions * per_partition and time.time() < deadline:
    message = second.poll(0.5)
    if message is None or message.error():
        continue
    first_offset.setdefault(message.partition(), message.offset())
    count += 1
second.close()
check(first_offset == {p: 0 for p in range(partitions)}, "the new consumer started at %s", first_offset)
check(count == partitions * per_partition, "the new consumer read %d of %d messages", count, partitions * per_partition)

# A group emptied of members can be deleted; it is then gone from the list.
deadline = time.time() + 30
while gregor("group", "describe", group, "--state", "--output", "json")["state"] != "Empty":
    check(time.time() < deadline, "the group did not become Empty after the second consumer closed")
    time.sleep(0.5)
gregor("group", "delete", group)
check(group not in [g["groupId"] for g in gregor("group", "list", "--output", "json")], "deleted group still listed")
_, gone = gregor("group", "describe", group, expect_exit=1)
check("does not exist" in gone, "describe after delete said: %s", gone)
log("reset to earliest: a new consumer re-read all %d messages from offset 0; group deleted", count)
