"""Idempotent producers (InitProducerId, producer ids from the controller's blocks, sequence checks) against a single
node and against a cluster of three combined nodes (lib/cluster.py).

- kcat (-X enable.idempotence=true), confluent-kafka for Python (enable.idempotence), kafkajs (idempotent: true),
  Confluent.Kafka 2.16 (.NET, EnableIdempotence) and Gregor.Client (`gregor produce`, idempotent by default) each
  produce to a topic of their own; every record is read back
  exactly once (kcat -C -e), and every batch stored in the segment files carries a producer id and epoch (the
  clients really ran idempotently). In the cluster each client bootstraps from another node.
- On the raw wire: InitProducerId gives a fresh id with epoch 0 (v1; v3 with an id and epoch presented gives another
  fresh id, as Kafka does for a producer without a transactional id; an id without an epoch is INVALID_REQUEST; a
  transactional id is UNSUPPORTED_VERSION, transactions are not there yet); a batch sent twice with the same id,
  epoch and sequence is answered with its first offset the second time and stored once; a sequence gap is
  OUT_OF_ORDER_SEQUENCE_NUMBER; a batch of an older epoch than one written is INVALID_PRODUCER_EPOCH; a producer id
  no broker was given is UNKNOWN_PRODUCER_ID, and nothing of the refused batches is stored.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from cluster import Cluster  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
import kafka_wire  # noqa: E402
import producer_wire as wire  # noqa: E402
import quorum_wire  # noqa: E402
from interop import check, env, log, run, scratch, unique_topic  # noqa: E402

INTEROP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PARTITIONS = 3
COUNT = 3000
DOTNET = os.path.join(INTEROP, "dotnet", "ConfluentInterop", "bin", "Release", "net10.0", "ConfluentInterop.dll")


def read_values(bootstrap, topic):
    """Every value of the topic with how often it was read (kcat -C from the beginning to the end)."""
    result, _ = run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%s\n"],
                    timeout=60)
    counts = {}
    for value in result.stdout.decode().splitlines():
        counts[value] = counts.get(value, 0) + 1
    return counts


def produce_with(client, bootstrap, topic, label):
    if client == "kcat":
        path = scratch("%s.in" % label)
        with open(path, "w") as out:
            out.writelines("%s %d\n" % (label, i) for i in range(COUNT))
        run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-l", path, "-X", "enable.idempotence=true",
             "-X", "linger.ms=5"], timeout=120)
    elif client == "confluent-kafka":
        failures = []
        producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5,
                             "error_cb": lambda error: failures.append(error) if error.fatal() else None})
        for i in range(COUNT):
            producer.produce(topic, value="%s %d" % (label, i), key="k%d" % (i % 97),
                             on_delivery=lambda error, _m: failures.append(error) if error else None)
            producer.poll(0)
        check(producer.flush(60) == 0, "confluent-kafka: records unacknowledged after 60 s")
        check(not failures, "confluent-kafka (enable.idempotence): %s", failures[:3])
    elif client == "kafkajs":
        result, _ = run(["node", os.path.join(INTEROP, "node", "idempotent.js"), bootstrap, topic, str(COUNT), label],
                        timeout=120)
        check(json.loads(result.stdout.decode().strip().splitlines()[-1]) == {"sent": COUNT}, "kafkajs: %s",
              result.stdout)
    elif client == "gregor":
        path = scratch("%s.in" % label)
        with open(path, "w") as out:
            out.writelines("%s %d\n" % (label, i) for i in range(COUNT))
        # Gregor.Client through the CLI: idempotent by default (acks=all), as the Java client.
        run(["dotnet", env("GREGOR_DLL"), "produce", topic, "-b", bootstrap, "-f", path], timeout=120)
    else:
        run(["dotnet", DOTNET, "idempotent", bootstrap, topic, str(COUNT), label], timeout=180)


def check_clients(where, bootstraps, data_dirs, create):
    """Each client produces COUNT records through one of `bootstraps` to its own topic; all read back exactly once."""
    for index, client in enumerate(["kcat", "confluent-kafka", "kafkajs", "dotnet", "gregor"]):
        bootstrap = bootstraps[index % len(bootstraps)]
        topic = unique_topic("idem-%s-%s" % (where, client))
        create(topic)
        label = "%s-%s" % (client, where)
        produce_with(client, bootstrap, topic, label)
        counts = read_values(bootstraps[(index + 1) % len(bootstraps)], topic)
        expected = {"%s %d" % (label, i) for i in range(COUNT)}
        missing = expected - counts.keys()
        twice = {value: n for value, n in counts.items() if n > 1}
        check(not missing and not twice and counts.keys() == expected,
              "%s %s: %d records missing (e.g. %s), %d read more than once (e.g. %s), %d unexpected", where, client,
              len(missing), sorted(missing)[:3], len(twice), list(twice.items())[:3], len(counts.keys() - expected))
        producers, batches = wire.stored_producer_ids(data_dirs, topic)
        check(batches > 0 and all(pid >= 0 and epoch >= 0 for pid, epoch in producers),
              "%s %s: stored batches carry producer ids/epochs %s (%d batches); an idempotent producer's carry its own",
              where, client, sorted(producers)[:5], batches)
        log("%s: %s through %s produced %d records idempotently (producer ids %s, %d batches); each read back once",
            where, client, bootstrap, COUNT, sorted(pid for pid, _ in producers), batches)


def check_wire(where, create):
    """The broker's idempotence checks on the raw wire: a one-partition topic made by create(topic), which returns the
    address of its leader and of the node to ask InitProducerId (another one in a cluster)."""
    topic = unique_topic("idem-wire-" + where)
    leader_bootstrap, bootstrap = create(topic)
    error, producer_id, epoch = wire.init_producer_id(bootstrap)
    check(error == 0 and producer_id >= 0 and epoch == 0, "%s: InitProducerId v1 -> %s", where, (error, producer_id, epoch))
    error, other_id, other_epoch = wire.init_producer_id_v3(bootstrap, producer_id, epoch)
    check(error == 0 and other_id >= 0 and other_id != producer_id and other_epoch == 0,
          "%s: InitProducerId v3 presenting (%d, %d) -> %s", where, producer_id, epoch, (error, other_id, other_epoch))
    answer = wire.init_producer_id_v3(bootstrap, producer_id, -1)
    check(answer[0] == wire.INVALID_REQUEST, "%s: InitProducerId v3 with an id and no epoch -> %s", where, answer)
    answer = wire.init_producer_id(bootstrap, transactional_id="txn-1")
    check(answer[0] == wire.UNSUPPORTED_VERSION, "%s: InitProducerId with a transactional id -> %s", where, answer)

    with kafka_wire.connect(leader_bootstrap) as sock:
        first = wire.produce_idempotent(sock, topic, 0, ["a0", "a1", "a2"], producer_id, 0, 0)
        check(first == (0, 0), "%s: first batch -> %s", where, first)
        again = wire.produce_idempotent(sock, topic, 0, ["a0", "a1", "a2"], producer_id, 0, 0)
        check(again == (0, 0), "%s: the same batch again -> %s, expected its first offset 0 and no error", where, again)
        second = wire.produce_idempotent(sock, topic, 0, ["b3"], producer_id, 0, 3)
        check(second == (0, 3), "%s: the next sequence -> %s", where, second)
        gap = wire.produce_idempotent(sock, topic, 0, ["gap"], producer_id, 0, 9)
        check(gap[0] == wire.OUT_OF_ORDER_SEQUENCE_NUMBER, "%s: a sequence gap -> %s", where, gap)
        bumped = wire.produce_idempotent(sock, topic, 0, ["c0"], producer_id, 1, 0)
        check(bumped == (0, 4), "%s: epoch 1 from sequence 0 -> %s", where, bumped)
        stale = wire.produce_idempotent(sock, topic, 0, ["stale"], producer_id, 0, 4)
        check(stale[0] == wire.INVALID_PRODUCER_EPOCH, "%s: the older epoch -> %s", where, stale)
        invented = wire.produce_idempotent(sock, topic, 0, ["invented"], 1 << 60, 0, 0)
        check(invented[0] == wire.UNKNOWN_PRODUCER_ID, "%s: a producer id never issued -> %s", where, invented)
    counts = read_values(bootstrap, topic)
    check(counts == {"a0": 1, "a1": 1, "a2": 1, "b3": 1, "c0": 1}, "%s: stored %s", where, counts)
    log("%s: InitProducerId gives ids %d and %d (epoch 0), INVALID_REQUEST for an id without epoch, UNSUPPORTED_VERSION "
        "for a transactional id; a resent batch gets offset 0 again and is stored once; gap -> %d, old epoch -> %d, "
        "invented id -> %d, nothing refused stored", where, producer_id, other_id, gap[0], stale[0], invented[0])


# --- a single node ---------------------------------------------------------------------------------------------
single = env("GREGOR_BOOTSTRAP")
single_dirs = [env("GREGOR_DATA_DIR")]
run([os.path.join(INTEROP, "dotnet", "build.sh"), scratch("dotnet-client-build.log")], timeout=240)
check_wire("single", lambda topic: (create_topic(topic, 1), (single, single))[1])
check_clients("single", [single], single_dirs, lambda topic: create_topic(topic, PARTITIONS))

# --- a cluster of three ----------------------------------------------------------------------------------------
with Cluster(env("GREGOR_DLL"), scratch("cluster")) as cluster:
    took = cluster.start()
    log("3 combined nodes up in %.1f s, clients on %s", took, cluster.bootstrap_list)
    nodes = sorted(cluster.nodes)
    dirs = [cluster.nodes[n].data_dir for n in nodes]

    def create_in_cluster(topic, partitions=PARTITIONS):
        error, message = quorum_wire.create_topic_answer(cluster.nodes[nodes[0]].bootstrap, topic, partitions, timeout=20)
        check(error == 0, "CreateTopics %s: %d %s", topic, error, message)
        return cluster.wait_leaders(topic, partitions)

    def create_wire_topic(topic):
        leader = create_in_cluster(topic, partitions=1)[0]
        asked = next(n for n in nodes if n != leader)
        return cluster.nodes[leader].bootstrap, cluster.nodes[asked].bootstrap

    # InitProducerId through one node, the batches to the partition's leader, another node.
    check_wire("cluster", create_wire_topic)
    check_clients("cluster", [cluster.nodes[n].bootstrap for n in nodes], dirs, create_in_cluster)
log("idempotent producers: 5 clients x (single node, 3-node cluster) exactly once; raw-wire checks held")
