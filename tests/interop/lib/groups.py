"""Watching consumer groups from outside, for the group interop cases (run with /usr/bin/python3):
what the coordinator says about a group (DescribeGroups, through confluent-kafka's list_groups), the
group's committed offsets (OffsetFetch, through a consumer that never joins), and waiting for a state
with a deadline rather than sleeping and hoping it was reached.

A case decides "each message read exactly once" only once nothing is left to read: the group is
stable and its committed offsets are at the end of every partition. A member then holds each partition
at its end, so no read (a duplicate included) can still be on its way."""
import time

from confluent_kafka import Consumer, TopicPartition

from admin import admin_client, bootstrap
from interop import check


def wait_until(what, predicate, timeout, interval=0.2, between=None):
    """Calls predicate until it returns something truthy, and returns that; fails the case after
    timeout seconds, saying what it waited for (what: text, or a function giving it then). between,
    if given, is called at every turn (e.g. to keep producing)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            check(False, "timed out after %ds waiting for %s", timeout, what() if callable(what) else what)
        if between is not None:
            between()
        time.sleep(interval)


def decode_assignment(data):
    """The consumer protocol's assignment: version, [topic, [partition]], user data."""
    position = 2
    partitions = []
    topics = int.from_bytes(data[position:position + 4], "big", signed=True)
    position += 4
    for _ in range(max(topics, 0)):
        length = int.from_bytes(data[position:position + 2], "big")
        position += 2 + length
        count = int.from_bytes(data[position:position + 4], "big")
        position += 4
        for _ in range(count):
            partitions.append(int.from_bytes(data[position:position + 4], "big"))
            position += 4
    return partitions


_admin = []


def describe(group):
    """(state, protocol, [(member id, client id, sorted partitions)]) as the coordinator describes
    the group; (None, None, []) before the group exists."""
    if not _admin:
        _admin.append(admin_client())
    groups = _admin[0].list_groups(group, timeout=10)
    if not groups:
        return None, None, []
    check(len(groups) == 1, "list_groups(%s) returned %d groups", group, len(groups))
    g = groups[0]
    return g.state, g.protocol, [(m.id, m.client_id, sorted(decode_assignment(m.assignment))) for m in g.members]


def settled(group, members, partitions):
    """The members of a Stable generation, when there are `members` of them, each assigned at least
    one partition, the assignments disjoint and covering partitions 0..partitions-1; else None."""
    state, _, described = describe(group)
    assigned = [p for _, _, ps in described for p in ps]
    if state == "Stable" and len(described) == members and all(ps for _, _, ps in described) \
            and sorted(assigned) == list(range(partitions)):
        return described
    return None


def committed(group, topic, partitions):
    """{partition: committed offset} of the group (-1001 where none), as OffsetFetch answers."""
    reader = Consumer({"bootstrap.servers": bootstrap(), "group.id": group})
    try:
        found = reader.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
        return {tp.partition: tp.offset for tp in found}
    finally:
        reader.close()


def committed_at(group, topic, ends):
    """The group's committed offsets are ends ({partition: end offset}): it has read everything."""
    return committed(group, topic, len(ends)) == ends
