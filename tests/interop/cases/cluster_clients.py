"""Real clients against a cluster of three combined nodes (process.roles=broker,controller, the three static voters,
all on 127.0.0.1 with free ports), each formatted and started from its own config file (lib/cluster.py).

- kcat -L, confluent-kafka's list_topics and kafkajs's describeCluster, each bootstrapped from each node's address
  alone, list the three brokers at the addresses they advertise (and the formatted cluster id);
  Confluent.Kafka 2.16 (.NET) does the same and produces and consumes through each address (dotnet `cluster`).
- CreateTopics of a 12-partition topic sent to a node that is NOT the active controller (DescribeQuorum over the
  CONTROLLER listeners says which is) succeeds: that node forwards it. Every node's Metadata then shows the same
  leaders, and all three brokers lead some of the partitions.
- Records produced through each address in turn (kcat, then confluent-kafka with acks=all) are read back, all and
  only them, through each address (kcat -C -e, and confluent-kafka assigned every partition): the same record at the
  same partition and offset whichever node the reader bootstrapped from, confluent-kafka's at their reported offsets.
- A confluent-kafka consumer group bootstrapped from node 1 whose coordinator (FindCoordinator) is another node reads
  part of the topic, commits and leaves; the coordinator holds the commit; a new member resumes exactly there (no
  record read twice, none missed) and commits the end.
- CreateTopics with replication factor 4 (more than the three brokers) is refused, INVALID_REPLICATION_FACTOR with a
  message, through a broker that forwards it and through confluent-kafka, and no such topic appears.

The nodes run with the default offsets.topic.replication.factor (3: __consumer_offsets has a replica on each node)
and group.initial.rebalance.delay.ms=0 (a faster first join)."""
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from cluster import Cluster  # noqa: E402
import cluster_wire  # noqa: E402
from interop import check, env, log, run, scratch, unique_topic  # noqa: E402
import quorum_wire  # noqa: E402

INTEROP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARTITIONS = 12
PER_ADDRESS = 500  # records per producer per address
SETTINGS = ["group.initial.rebalance.delay.ms=0"]
INVALID_REPLICATION_FACTOR = 38
COORDINATOR_NOT_AVAILABLE = 15


def brokers_seen_by_kcat(bootstrap):
    result, _ = run(["kcat", "-L", "-b", bootstrap, "-m", "10"], timeout=30)
    listing = result.stdout.decode()
    return {int(n): address for n, address in re.findall(r"^\s*broker (\d+) at (\S+)", listing, re.M)}


def brokers_seen_by_confluent(bootstrap):
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    return {b.id: "%s:%d" % (b.host, b.port) for b in metadata.brokers.values()}, metadata.cluster_id


def read_with_kcat(bootstrap, topic):
    """{(partition, offset): (key, value)} of the whole topic, read by kcat from the beginning to the end."""
    result, _ = run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q",
                     "-f", "%p\t%o\t%k\t%s\n"], timeout=60)
    read = {}
    for line in result.stdout.decode().splitlines():
        partition, offset, key, value = line.split("\t", 3)
        check((int(partition), int(offset)) not in read, "kcat through %s read %s/%s twice", bootstrap, partition, offset)
        read[(int(partition), int(offset))] = (key, value)
    return read


def read_with_confluent(bootstrap, topic, partitions):
    """The same, read by a confluent-kafka consumer assigned every partition (no group)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-" + topic, "enable.auto.commit": False,
                         "enable.partition.eof": True, "check.crcs": True})
    try:
        ends = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in range(partitions)}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        read, at_end, deadline = {}, {p for p, end in ends.items() if end == 0}, time.monotonic() + 60
        while len(at_end) < partitions:
            check(time.monotonic() < deadline, "confluent-kafka through %s: %d records read, partitions at their end %s, "
                  "ends %s", bootstrap, len(read), sorted(at_end), ends)
            for record in consumer.consume(num_messages=1000, timeout=0.5):
                if record.error() is not None:
                    check(record.error().code() == KafkaError._PARTITION_EOF, "confluent-kafka through %s: %s",
                          bootstrap, record.error())
                    if record.offset() == ends[record.partition()]:
                        at_end.add(record.partition())
                    continue
                position = (record.partition(), record.offset())
                check(position not in read, "confluent-kafka through %s read %s twice", bootstrap, position)
                read[position] = (record.key().decode(), record.value().decode())
        return read
    finally:
        consumer.close()


def pick_group(via, avoid, timeout=30):
    """A group id whose coordinator, as node `via` answers FindCoordinator, is not node `avoid`; and that coordinator.
    The first lookup creates __consumer_offsets (COORDINATOR_NOT_AVAILABLE until it has leaders)."""
    deadline, answers = time.monotonic() + timeout, []
    for i in range(1000):
        group = unique_topic("cluster-group-%d" % i)
        while True:
            try:
                error, node_id, address = cluster_wire.find_coordinator(via, group)
            except OSError as e:
                error, node_id, address = str(e), -1, ""
            answers.append((group, error, node_id))
            if error == 0:
                break
            check(time.monotonic() < deadline and error == COORDINATOR_NOT_AVAILABLE,
                  "FindCoordinator through %s: %s", via, answers[-5:])
            time.sleep(0.2)
        if node_id != avoid:
            return group, node_id, address
    raise AssertionError("every group's coordinator was node %d: %s" % (avoid, answers[-5:]))


def consume_group(bootstrap, group, topic, until, deadline_s=60):
    """A group member bootstrapped from `bootstrap` alone: reads until until(read) holds, commits synchronously what
    it read, and leaves. Returns {(partition, offset): value} read."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
    read = {}
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + deadline_s
        while not until(read):
            check(time.monotonic() < deadline, "group %s through %s: %d records read in %d s", group, bootstrap,
                  len(read), deadline_s)
            for record in consumer.consume(num_messages=200, timeout=0.5):
                check(record.error() is None, "group %s: %s", group, record.error())
                position = (record.partition(), record.offset())
                check(position not in read, "group %s read %s twice", group, position)
                read[position] = record.value().decode()
        committed = consumer.commit(asynchronous=False)
        failed = [tp for tp in committed if tp.error is not None]
        check(not failed, "group %s: the commit failed for %s", group, failed)
    finally:
        consumer.close()
    return read


def committed_offsets(bootstrap, group, topic, partitions):
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        return {tp.partition: tp.offset for tp in
                reader.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)}
    finally:
        reader.close()


with Cluster(env("GREGOR_DLL"), scratch("cluster"), settings=SETTINGS) as cluster:
    took = cluster.start()
    nodes, expected = sorted(cluster.nodes), cluster.advertised
    controller = cluster.active_controller()
    log("3 combined nodes up in %.1f s (formatted for cluster %s), clients on %s, active controller node %d",
        took, cluster.cluster_id, cluster.bootstrap_list, controller)

    # --- every client, through every address, sees the three brokers ---------------------------------------
    for n in nodes:
        address = cluster.nodes[n].bootstrap
        seen = brokers_seen_by_kcat(address)
        check(seen == expected, "kcat -L through %s lists brokers %s, expected %s", address, seen, expected)
        seen, cluster_id = brokers_seen_by_confluent(address)
        check(seen == expected, "confluent-kafka through %s lists brokers %s, expected %s", address, seen, expected)
        check(cluster_id == cluster.cluster_id, "Metadata through %s gives cluster id %s, formatted %s", address,
              cluster_id, cluster.cluster_id)
    result, _ = run(["node", os.path.join(INTEROP, "node", "cluster-brokers.js")] + cluster.bootstraps, timeout=90)
    for line in result.stdout.decode().splitlines():
        view = json.loads(line)
        seen = {b["nodeId"]: "%s:%d" % (b["host"], b["port"]) for b in view["brokers"]}
        check(seen == expected, "kafkajs through %s lists brokers %s, expected %s", view["bootstrap"], seen, expected)
        check(view["clusterId"] == cluster.cluster_id, "kafkajs through %s: cluster id %s", view["bootstrap"],
              view["clusterId"])
    check(len(result.stdout.decode().splitlines()) == len(nodes), "kafkajs answered for %s", result.stdout)
    log("kcat -L, confluent-kafka and kafkajs through each of the 3 addresses list brokers %s", expected)

    build_log = scratch("dotnet-client-build.log")
    run([os.path.join(INTEROP, "dotnet", "build.sh"), build_log], timeout=240)  # a no-op when it is up to date
    dotnet = os.path.join(INTEROP, "dotnet", "ConfluentInterop", "bin", "Release", "net10.0", "ConfluentInterop.dll")
    result, seconds = run(["dotnet", dotnet, "cluster"], timeout=180,
                          env=dict(os.environ, GREGOR_CLUSTER_BOOTSTRAPS=cluster.bootstrap_list,
                                   GREGOR_BOOTSTRAP=cluster.bootstrap_list))
    dotnet_lines = result.stdout.decode().strip().splitlines()
    log("Confluent.Kafka (.NET) in %.1f s: %s", seconds, dotnet_lines[-1] if dotnet_lines else "(no output)")

    # --- a topic created through a node that is not the active controller ---------------------------------
    controller = cluster.active_controller()
    forwarder = next(n for n in nodes if n != controller)
    topic = unique_topic("cluster-12")
    error, message = quorum_wire.create_topic_answer(cluster.nodes[forwarder].bootstrap, topic, PARTITIONS, timeout=20)
    check(error == 0, "CreateTopics of %s through node %d (the controller is node %d): error %d %s", topic, forwarder,
          controller, error, message)
    leaders = cluster.wait_leaders(topic, PARTITIONS)
    per_broker = {n: sorted(p for p, leader in leaders.items() if leader == n) for n in nodes}
    check(all(per_broker.values()), "%s's partitions are led by %s: a broker leads none", topic, per_broker)
    log("CreateTopics of %s (%d partitions) through node %d, forwarded to controller node %d; every node shows "
        "leaders %s", topic, PARTITIONS, forwarder, controller, {n: len(ps) for n, ps in per_broker.items()})

    # --- produce through each address, read everything back through each ---------------------------------
    values = set()
    for n in nodes:
        lines = ["kcat-%d-%d:kcat through node %d record %d" % (n, i, n, i) for i in range(PER_ADDRESS)]
        run(["kcat", "-P", "-b", cluster.nodes[n].bootstrap, "-t", topic, "-K", ":", "-X", "acks=all"],
            input=("\n".join(lines) + "\n").encode(), timeout=60)
        values.update(line.split(":", 1)[1] for line in lines)
    delivered = {}  # (partition, offset) -> value, from confluent-kafka's delivery reports
    for n in nodes:
        failures = []

        def report(err, message):
            if err is not None:
                failures.append(err)
            else:
                delivered[(message.partition(), message.offset())] = message.value().decode()
        producer = Producer({"bootstrap.servers": cluster.nodes[n].bootstrap, "acks": "all", "linger.ms": 5,
                             "message.timeout.ms": 30000, "on_delivery": report})
        for i in range(PER_ADDRESS):
            value = "confluent through node %d record %d" % (n, i)
            producer.produce(topic, key=b"confluent-%d-%d" % (n, i), value=value.encode())
            values.add(value)
        check(producer.flush(40) == 0, "confluent-kafka through node %d: records still unacknowledged after 40 s", n)
        check(not failures, "confluent-kafka through node %d: %d deliveries failed, first %s", n, len(failures),
              failures[:1])
    check(len(delivered) == len(nodes) * PER_ADDRESS, "%d delivery reports at distinct positions", len(delivered))

    reads = {}
    for n in nodes:
        address = cluster.nodes[n].bootstrap
        for reader, read in (("kcat", read_with_kcat(address, topic)),
                             ("confluent-kafka", read_with_confluent(address, topic, PARTITIONS))):
            got = {value for _, value in read.values()}
            check(len(read) == len(values) and got == values, "%s through %s read %d records (%d distinct values); "
                  "%d were produced; missing e.g. %s, unexpected e.g. %s", reader, address, len(read), len(got),
                  len(values), sorted(values - got)[:3], sorted(got - values)[:3])
            misplaced = [(pos, v) for pos, v in delivered.items() if read.get(pos, (None, None))[1] != v]
            check(not misplaced, "%s through %s: confluent-kafka's records not at their reported offsets, e.g. %s",
                  reader, address, misplaced[:3])
            reads[(reader, n)] = read
    first = next(iter(reads.values()))
    different = [key for key, read in reads.items() if read != first]
    check(not different, "readers %s read a different topic than %s", different, next(iter(reads)))
    per_partition = {p: sum(1 for (q, _) in first if q == p) for p in range(PARTITIONS)}
    log("%d records produced through each address (kcat, confluent-kafka acks=all) read back identical through each "
        "address by kcat and confluent-kafka; per partition %s", 2 * PER_ADDRESS, per_partition)

    # --- a consumer group whose coordinator is not the node it bootstrapped from ---------------------------
    home = nodes[0]
    home_address = cluster.nodes[home].bootstrap
    group, coordinator, coordinator_address = pick_group(home_address, home)
    check(coordinator_address == expected.get(coordinator), "FindCoordinator gives node %d at %s; it advertises %s",
          coordinator, coordinator_address, expected.get(coordinator))
    total = len(values)
    first_part = consume_group(home_address, group, topic, lambda read: len(read) >= total // 2)
    groups = AdminClient({"bootstrap.servers": home_address}).list_groups(group, timeout=10)
    check(len(groups) == 1 and groups[0].broker.id == coordinator, "list_groups(%s) answered by %s, FindCoordinator "
          "said node %d", group, [(g.id, g.broker.id, g.state) for g in groups], coordinator)
    last_read = {}
    for (partition, offset) in first_part:
        last_read[partition] = max(offset, last_read.get(partition, -1))
    other_address = cluster.nodes[next(n for n in nodes if n != coordinator)].bootstrap
    committed = committed_offsets(other_address, group, topic, PARTITIONS)
    wrong = {p: (committed.get(p), end + 1) for p, end in last_read.items() if committed.get(p) != end + 1}
    check(not wrong, "group %s: committed offsets differ from what was read, {partition: (committed, read to)}: %s",
          group, wrong)
    second_part = consume_group(home_address, group, topic, lambda read: len(read) + len(first_part) >= total)
    again = set(first_part) & set(second_part)
    check(not again, "group %s: %d records read again after the resume, e.g. %s", group, len(again), sorted(again)[:3])
    check(set(first_part) | set(second_part) == set(first), "group %s read %d + %d positions of the %d", group,
          len(first_part), len(second_part), len(first))
    ends = {p: n for p, n in per_partition.items() if n}
    committed = committed_offsets(other_address, group, topic, PARTITIONS)
    check(all(committed.get(p) == n for p, n in ends.items()), "group %s: committed %s at the end, the ends are %s",
          group, committed, ends)
    log("group %s bootstrapped from node %d, coordinator node %d: read %d, committed, left; a new member resumed at "
        "the commit and read the other %d (no gap, nothing twice), committed the ends", group, home, coordinator,
        len(first_part), len(second_part))

    # --- replication factor 4 is refused -------------------------------------------------------------------
    controller = cluster.active_controller()
    forwarder = next(n for n in nodes if n != controller)
    replicated = unique_topic("cluster-rf4")
    error, message = quorum_wire.create_topic_answer(cluster.nodes[forwarder].bootstrap, replicated, 3,
                                                     replication_factor=4, timeout=20)
    check(error == INVALID_REPLICATION_FACTOR and message,
          "CreateTopics of %s with replication factor 4 through node %d: error %d, message %r; expected "
          "INVALID_REPLICATION_FACTOR (38) with a message", replicated, forwarder, error, message)
    # The client must outlive its futures: a handle collected at once fails them with _DESTROY.
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap_list})
    futures = admin.create_topics(
        [NewTopic(replicated + "-c", num_partitions=3, replication_factor=4)], operation_timeout=10)
    try:
        futures[replicated + "-c"].result(timeout=30)
        raise AssertionError("confluent-kafka created %s-c with replication factor 4" % replicated)
    except KafkaException as e:
        check(e.args[0].code() == KafkaError.INVALID_REPLICATION_FACTOR, "confluent-kafka, replication factor 4: %s", e)
        confluent_message = e.args[0].str()
    for n in nodes:
        found = cluster.metadata(n, [replicated, replicated + "-c"])
        check(found is not None and all(found.topics.get(t, (0,))[0] == 3 for t in (replicated, replicated + "-c")),
              "node %d's Metadata for the refused topics: %s", n, found and found.topics)
    log("replication factor 4 refused through node %d (forwarded) and through confluent-kafka: 38 %r", forwarder, message)
    log("3 brokers seen through each of the 3 addresses by kcat, confluent-kafka, kafkajs, Confluent.Kafka; %d-partition "
        "topic created through non-controller node %d, led by all 3; %d records produced and read back through each "
        "address; group coordinated by node %d resumed at its commit; replication factor 4 refused (38)",
        PARTITIONS, forwarder, len(values), coordinator)
