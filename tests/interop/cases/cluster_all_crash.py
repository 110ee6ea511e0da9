"""Every node of a cluster of three combined nodes killed -9 at once (lib/cluster.py; the session timeouts of
cluster-failover), then all started again. A topic of 6 partitions with replication factor 3 and
min.insync.replicas=2 holds records produced with acks=all before the kill. Each node comes back from an unclean
shutdown, so each leaves the ISR of its partitions as it registers: the ISR and the eligible leaders of every partition
end up empty with two or three replicas in the last known ELR, and only KIP-966's unclean recovery can give the
partitions a leader again: the brokers report their replicas' log ends on their heartbeats and the controller elects
the one that ends latest once all are back (a partition without reports would wait for unclean.recovery.timeout.ms,
5 minutes). Checked: every partition is led again within 60 s of the restarts, and every acknowledged record is read
back at its offset. The last line gives the time."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from cluster import Cluster  # noqa: E402
from interop import check, env, log, scratch, unique_topic  # noqa: E402

SETTINGS = ["broker.session.timeout.ms=3000", "broker.heartbeat.interval.ms=500"]
PARTITIONS, PER_PARTITION = 6, 300
BACK_LIMIT_S = 60

with Cluster(env("GREGOR_DLL"), scratch("cluster"), settings=SETTINGS) as cluster:
    took = cluster.start()
    nodes = sorted(cluster.nodes)
    bootstrap = ",".join(cluster.nodes[n].bootstrap for n in nodes)
    topic = unique_topic("all-crash")
    admin = AdminClient({"bootstrap.servers": bootstrap})  # kept: a client collected before the answer fails it
    created = admin.create_topics([NewTopic(topic, PARTITIONS, 3, config={"min.insync.replicas": "2"})])
    created[topic].result(30)
    cluster.wait_leaders(topic, PARTITIONS)
    acked, failures = [], []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 5, "message.timeout.ms": 30000,
                         "on_delivery": lambda err, m: failures.append(err) if err else acked.append(
                             (m.partition(), m.offset(), m.value()))})
    for p in range(PARTITIONS):
        for i in range(PER_PARTITION):
            producer.produce(topic, value=b"p%d #%d" % (p, i), partition=p)
    check(producer.flush(60) == 0, "records still unacknowledged after 60 s")
    check(not failures, "%d deliveries failed, first: %s", len(failures), failures[:1])
    log("3 nodes up in %.1f s; %d records acknowledged into %s (RF 3, min.insync.replicas 2); kill -9 of every node",
        took, len(acked), topic)

    for n in nodes:
        cluster.nodes[n].kill()
    restarted_at = time.monotonic()
    for n in nodes:
        cluster.nodes[n].launch()
    for n in nodes:
        cluster.nodes[n].wait_answering(time.monotonic() + 90)
    leaders = cluster.wait_leaders(topic, PARTITIONS, timeout=BACK_LIMIT_S)
    back_s = time.monotonic() - restarted_at
    log("every partition led again %.2f s after the restarts: %s", back_s, leaders)

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused-" + topic, "enable.auto.commit": False,
                         "check.crcs": True})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    read = {}
    deadline = time.monotonic() + 60
    while len(read) < len(acked) and time.monotonic() < deadline:
        message = consumer.poll(1)
        if message is not None and not message.error():
            read[(message.partition(), message.offset())] = message.value()
    consumer.close()
    missing = [a for a in acked if read.get((a[0], a[1])) != a[2]]
    check(not missing, "%d acknowledged records not read back at their offsets, e.g. %s", len(missing), missing[:3])
    log("every node killed -9 at once: partitions led again %.2f s after the restarts, all %d acknowledged records "
        "read back at their offsets", back_s, len(acked))
