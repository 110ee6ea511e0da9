"""Failures of the nodes of a cluster of three combined nodes (process.roles=broker,controller, the three static
voters, on 127.0.0.1, each started from its config file; lib/cluster.py), with real processes and signals. The nodes
run with broker.session.timeout.ms=3000 and broker.heartbeat.interval.ms=500 (Kafka's defaults are 9000 and 2000)
to keep the case short; bench/e2e/broker-failover.sh measures with the defaults. A 9-partition topic (replication
factor 1, led by all three brokers) holds records produced with acks=all before each failure.

1. kill -9 of the active controller (DescribeQuorum over the CONTROLLER listeners names it): a CreateTopics through a
   surviving broker, sent every 200 ms to each survivor in turn, is accepted again in under 10 s (the time from the
   kill is printed). The dead node's partitions then show leader -1 (its broker session expires) and Metadata lists
   the two others only. Restarted on its data, it catches up (DescribeQuorum: its log end offset reaches the high
   watermark), every node's Metadata lists three brokers again and its partitions are led by it again.
2. kill -9 of a broker that is not the active controller: the time until a survivor's Metadata shows all of its
   partitions with leader -1 (expected: about the session timeout), while the others keep their leaders. Restarted:
   the time until its partitions have their leader back; every record produced before the kill is read back, at its
   offset.
3. SIGTERM of a broker that is not the active controller: it exits 0 within 10 s, and its partitions show leader -1
   sooner than the session timeout (controlled shutdown, not expiry); both times are printed.
The last line gives every measured time."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition  # noqa: E402
from cluster import Cluster, create_topics_until_accepted  # noqa: E402
from interop import check, env, log, scratch, unique_topic  # noqa: E402
import quorum_wire  # noqa: E402

SESSION_MS, HEARTBEAT_MS = 3000, 500
PARTITIONS, PER_PARTITION = 9, 200
SETTINGS = ["broker.session.timeout.ms=%d" % SESSION_MS, "broker.heartbeat.interval.ms=%d" % HEARTBEAT_MS]
FAILOVER_LIMIT_S = 10
SIGTERM_EXIT_LIMIT_S = 10


def produce(cluster, topic, tag, acked):
    """PER_PARTITION records into each partition (acks=all) through every running node; appends (offset, value) per
    partition to acked."""
    failures, reports = [], []
    producer = Producer({"bootstrap.servers": ",".join(cluster.nodes[n].bootstrap for n in cluster.running()),
                         "acks": "all", "linger.ms": 5, "message.timeout.ms": 30000,
                         "on_delivery": lambda err, m: failures.append(err) if err else reports.append(
                             (m.partition(), m.offset(), m.value().decode()))})
    for p in range(PARTITIONS):
        for i in range(PER_PARTITION):
            producer.produce(topic, value=("%s p%d #%d" % (tag, p, i)).encode(), partition=p)
    check(producer.flush(60) == 0, "%s: records still unacknowledged after 60 s", tag)
    check(not failures, "%s: %d deliveries failed, first: %s", tag, len(failures), failures[:1])
    for p, offset, value in sorted(reports):
        acked.setdefault(p, []).append((offset, value))


def read_back(cluster, topic, partitions):
    """{partition: [(offset, value)]} of the given partitions, read from the beginning to the high watermark."""
    consumer = Consumer({"bootstrap.servers": ",".join(cluster.nodes[n].bootstrap for n in cluster.running()),
                         "group.id": "unused-" + topic, "enable.auto.commit": False, "check.crcs": True})
    try:
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        read = {p: [] for p in partitions}
        deadline = time.monotonic() + 60
        while any(len(read[p]) < ends[p] for p in partitions):
            check(time.monotonic() < deadline, "reading back %s: %s of %s", topic,
                  {p: len(r) for p, r in read.items()}, ends)
            for record in consumer.consume(num_messages=1000, timeout=0.5):
                check(record.error() is None, "reading back %s: %s", topic, record.error())
                read[record.partition()].append((record.offset(), record.value().decode()))
        return read
    finally:
        consumer.close()


def check_others_kept(before, after, victim, what):
    moved = {p: (before[p], after.get(p)) for p in before if before[p] != victim and after.get(p) != before[p]}
    check(not moved, "%s: partitions of the other brokers changed leader, {partition: (before, after)}: %s", what, moved)


def caught_up(cluster, node, timeout=30):
    """Until node's log end offset, as the active controller's DescribeQuorum gives it, reaches the high watermark
    the leader had when this was called (the watermark may go on moving: the leader appends as brokers register and
    heartbeat); returns that high watermark."""
    seen, target = [], []

    def probe():
        leader = cluster.active_controller(timeout=10)
        answer = cluster.describe_quorum(leader)
        seen[:] = [leader, answer]
        if not answer or answer[0] != 0 or answer[3] <= 0:
            return None
        if not target:
            target.append(answer[3])
        return answer[4].get(node, -1) >= target[0] and target[0]
    return cluster.wait(lambda: "node %d's log end offset at the high watermark %s; the leader %s answers %s" % (
        node, target, seen[:1], seen[1:]), probe, timeout, interval=0.1)[1]


with Cluster(env("GREGOR_DLL"), scratch("cluster"), settings=SETTINGS) as cluster:
    took = cluster.start()
    nodes = sorted(cluster.nodes)
    topic = unique_topic("failover")
    controller = cluster.active_controller()
    error, message = quorum_wire.create_topic_answer(cluster.nodes[controller].bootstrap, topic, PARTITIONS, timeout=20)
    check(error == 0, "CreateTopics of %s: %d %s", topic, error, message)
    leaders = cluster.wait_leaders(topic, PARTITIONS)
    check(set(leaders.values()) == set(nodes), "%s is led by %s only; each broker should lead some", topic, leaders)
    acked = {}
    produce(cluster, topic, "before", acked)
    log("3 nodes up in %.1f s, controller node %d; %s led %s, %d records acknowledged", took, controller, topic,
        leaders, sum(len(r) for r in acked.values()))

    # --- 1. kill -9 of the active controller ---------------------------------------------------------------
    owned = sorted(p for p, n in leaders.items() if n == controller)
    survivors = [n for n in nodes if n != controller]
    killed_at = time.monotonic()
    cluster.nodes[controller].kill()
    create_s, accepted_by, answers = create_topics_until_accepted(cluster, survivors, killed_at, timeout=30,
                                                                  prefix=unique_topic("after-kill"))
    new_controller = cluster.active_controller(among=survivors, timeout=10)
    log("kill -9 of controller node %d: CreateTopics accepted through node %d %.2f s later (new controller node %d; "
        "answers before: %s)", controller, accepted_by, create_s, new_controller, answers or "none")
    check(create_s < FAILOVER_LIMIT_S, "CreateTopics took %.1f s to succeed again after the controller died", create_s)
    controller_fenced_s, seen = cluster.wait_leader(topic, owned, -1, survivors, killed_at, timeout=60)
    check_others_kept(leaders, seen, controller, "after the controller's kill")
    cluster.wait_brokers(survivors, via=survivors, timeout=30)
    log("its partitions %s showed leader -1 %.2f s after the kill; Metadata lists brokers %s", owned,
        controller_fenced_s, survivors)

    restarted_at = time.monotonic()
    answering_s = cluster.nodes[controller].start()
    high_watermark = caught_up(cluster, controller)
    cluster.wait_brokers(nodes, timeout=60)
    rejoined_s = time.monotonic() - restarted_at
    back_s, _ = cluster.wait_leader(topic, owned, controller, nodes, restarted_at, timeout=60)
    log("node %d restarted: answering after %.2f s, caught up to the high watermark %d, Metadata lists 3 brokers "
        "after %.2f s, its partitions led by it again after %.2f s", controller, answering_s, high_watermark,
        rejoined_s, back_s)
    leaders = cluster.wait_leaders(topic, PARTITIONS)
    produce(cluster, topic, "after-controller-restart", acked)

    # --- 2. kill -9 of a broker that is not the active controller ------------------------------------------
    controller = cluster.active_controller()
    victim = next(n for n in nodes if n != controller)
    owned = sorted(p for p, n in leaders.items() if n == victim)
    check(owned, "node %d leads no partition of %s: %s", victim, topic, leaders)
    survivors = [n for n in nodes if n != victim]
    killed_at = time.monotonic()
    cluster.nodes[victim].kill()
    fenced_s, seen = cluster.wait_leader(topic, owned, -1, survivors, killed_at, timeout=SESSION_MS / 1000 + 30)
    check_others_kept(leaders, seen, victim, "after the broker's kill")
    log("kill -9 of broker node %d (controller: node %d): its partitions %s showed leader -1 %.2f s later "
        "(broker.session.timeout.ms=%d), the others kept theirs", victim, controller, owned, fenced_s, SESSION_MS)
    check(fenced_s < SESSION_MS / 1000 + 10, "leader -1 only %.1f s after the kill, the session timeout is %d ms",
          fenced_s, SESSION_MS)

    restarted_at = time.monotonic()
    answering_s = cluster.nodes[victim].start()
    led_again_s, _ = cluster.wait_leader(topic, owned, victim, nodes, restarted_at, timeout=60)
    cluster.wait_brokers(nodes, timeout=30)
    read = read_back(cluster, topic, list(range(PARTITIONS)))
    for p in range(PARTITIONS):
        differ = next(((i, a, b) for i, (a, b) in enumerate(zip(read[p], acked[p])) if a != b), None)
        check(read[p] == acked[p], "after the restart partition %d holds %d records, %d were acknowledged; first "
              "difference (index, read, acknowledged): %s", p, len(read[p]), len(acked[p]), differ)
    records = sum(len(acked[p]) for p in owned)
    log("node %d restarted: answering after %.2f s, its partitions led by it again %.2f s after the restart; all %d "
        "records acknowledged before the kill read back at their offsets (%d of them on its partitions)", victim,
        answering_s, led_again_s, sum(len(r) for r in acked.values()), records)

    # --- 3. SIGTERM of a broker that is not the active controller ------------------------------------------
    controller = cluster.active_controller()
    leaders = cluster.wait_leaders(topic, PARTITIONS)
    target = next(n for n in nodes if n != controller)
    owned = sorted(p for p, n in leaders.items() if n == target)
    check(owned, "node %d leads no partition of %s: %s", target, topic, leaders)
    survivors = [n for n in nodes if n != target]
    code, exit_s, leader_gone_s, seen = cluster.terminate_and_watch(target, topic, owned, survivors)
    check_others_kept(leaders, seen, target, "after the SIGTERM")
    log("SIGTERM of broker node %d: exit code %d after %.2f s; its partitions %s showed leader -1 after %.2f s",
        target, code, exit_s, owned, leader_gone_s)
    check(code == 0, "node %d exited with %d on SIGTERM", target, code)
    check(exit_s < SIGTERM_EXIT_LIMIT_S, "node %d took %.1f s to exit on SIGTERM", target, exit_s)
    check(leader_gone_s < SESSION_MS / 1000, "leader -1 %.2f s after SIGTERM: no sooner than the session timeout "
          "(%d ms) would give it, so no controlled shutdown", leader_gone_s, SESSION_MS)

    log("controller kill -9: CreateTopics ok after %.2fs, its partitions leader -1 after %.2fs, restart -> 3 brokers "
        "after %.2fs (caught up); broker kill -9: leader -1 after %.2fs (session %d ms), restart -> leaders back after "
        "%.2fs, records intact; SIGTERM: exit 0 after %.2fs, leader -1 after %.2fs",
        create_s, controller_fenced_s, rejoined_s, fenced_s, SESSION_MS, led_again_s, exit_s, leader_gone_s)
