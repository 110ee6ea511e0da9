"""Partition reassignment and preferred leader election in a cluster of three combined nodes (lib/cluster.py), driven
with the gregor CLI while confluent-kafka produces. The nodes run with broker.session.timeout.ms=3000 and
broker.heartbeat.interval.ms=500, as in cluster-failover, and auto.leader.rebalance.enable=false, so that only the
election the case asks for moves leadership back.

1. A one-partition topic with replication factor 2 is created on brokers 1 and 2 (CreateTopics with a replica
   assignment, through confluent-kafka's AdminClient). While an idempotent confluent-kafka producer (acks=all) keeps
   writing, `gregor partition reassign --replicas 2,3` moves it to brokers 2 and 3; `gregor partition reassignments`
   is polled until no move is in flight, and then `gregor topic describe` shows replicas [2,3] and ISR {2,3}. Every
   acknowledged record is read back, once each, at the offset its delivery report gave, and nothing else is there.
2. The leader is bounced (SIGTERM, which moves leadership to the other replica, then started again); once it is back
   in the ISR, `gregor partition elect --election-type preferred` elects it (`leader elected`) and describe shows the
   preferred replica, 2, leading again.
The last line gives the times."""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from cluster import Cluster  # noqa: E402
from interop import check, env, log, scratch, unique_topic  # noqa: E402

SETTINGS = ["broker.session.timeout.ms=3000", "broker.heartbeat.interval.ms=500", "auto.leader.rebalance.enable=false"]
ORIGINAL, TARGET = [1, 2], [2, 3]
MOVE_LIMIT_S = 20


def cli(cluster, *args, expect_exit=0):
    """The gregor CLI bootstrapped from every running node; its JSON output parsed when -o json was asked."""
    bootstrap = ",".join(cluster.nodes[n].bootstrap for n in cluster.running())
    result = subprocess.run(["dotnet", env("GREGOR_DLL")] + list(args) + ["--bootstrap", bootstrap],
                            capture_output=True, text=True, timeout=60)
    check(result.returncode == expect_exit, "gregor %s exited %d, expected %d:\n%s%s", " ".join(args),
          result.returncode, expect_exit, result.stdout, result.stderr)
    return json.loads(result.stdout) if "json" in args else result.stdout


def described(cluster, topic):
    """Partition 0 of topic as `gregor topic describe -o json` shows it."""
    view = cli(cluster, "topic", "describe", topic, "-o", "json")
    check(view["partitionCount"] == 1, "%s described with %s partitions", topic, view["partitionCount"])
    return view["partitions"][0]


def wait_described(cluster, topic, what, want, timeout):
    """Until describe's partition satisfies want(partition); returns (seconds, that partition)."""
    seen = []

    def probe():
        try:
            seen[:] = [described(cluster, topic)]
        except AssertionError as error:
            # Just created: the node the CLI asked may not have the topic in its metadata yet.
            if "does not exist" not in str(error):
                raise
            seen[:] = ["not yet known to every node"]
            return None
        return seen[0] if want(seen[0]) else None
    return cluster.wait(lambda: "%s; describe shows %s" % (what, seen[:1]), probe, timeout, interval=0.2)


class BackgroundProducer:
    """An idempotent confluent-kafka producer (acks=all) writing numbered records to partition 0 until stopped."""

    def __init__(self, cluster, topic):
        self.topic, self.acked, self.failures = topic, [], []
        self.producer = Producer({"bootstrap.servers": cluster.bootstrap_list, "acks": "all",
                                  "enable.idempotence": True, "linger.ms": 5, "message.timeout.ms": 30000})
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def report(self, err, message):
        if err:
            self.failures.append(err)
        else:
            self.acked.append((message.offset(), message.value().decode()))

    def run(self):
        sent = 0
        while not self.stopped.is_set():
            for _ in range(20):
                self.producer.produce(self.topic, value=("record %d" % sent).encode(), partition=0,
                                      on_delivery=self.report)
                sent += 1
            self.producer.poll(0.01)
        self.sent = sent

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stopped.set()
        self.thread.join(30)
        check(self.producer.flush(60) == 0, "records still unacknowledged 60 s after the producer stopped")
        check(not self.failures, "%d deliveries failed, first: %s", len(self.failures), self.failures[:1])
        check(len(self.acked) == self.sent, "%d records sent, %d acknowledged", self.sent, len(self.acked))
        return sorted(self.acked)


def read_back(cluster, topic):
    """[(offset, value)] of partition 0, from the beginning to the high watermark."""
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap_list, "group.id": "unused-" + topic,
                         "enable.auto.commit": False, "check.crcs": True})
    try:
        end = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)[1]
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        read = []
        deadline = time.monotonic() + 30
        while len(read) < end:
            check(time.monotonic() < deadline, "reading back %s: %d of %d records", topic, len(read), end)
            for record in consumer.consume(num_messages=1000, timeout=0.5):
                check(record.error() is None, "reading back %s: %s", topic, record.error())
                read.append((record.offset(), record.value().decode()))
        return read
    finally:
        consumer.close()


with Cluster(env("GREGOR_DLL"), scratch("cluster"), settings=SETTINGS) as cluster:
    took = cluster.start()
    topic = unique_topic("reassign")
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap_list})
    admin.create_topics([NewTopic(topic, num_partitions=1, replica_assignment=[ORIGINAL])])[topic].result(20)
    wait_described(cluster, topic, "replicas %s all in sync" % ORIGINAL,
                   lambda p: p["replicas"] == ORIGINAL and sorted(p["isr"]) == ORIGINAL and p["leader"] >= 0, 30)
    log("3 nodes up in %.1f s; %s on brokers %s", took, topic, ORIGINAL)

    # --- 1. the move, while a producer writes ---------------------------------------------------------------
    producer = BackgroundProducer(cluster, topic).start()
    time.sleep(0.5)  # some records before the move, so the new replica has something to catch up on
    asked_at = time.monotonic()
    out = cli(cluster, "partition", "reassign", topic, "--partition", "0", "--replicas", ",".join(map(str, TARGET)))
    check(out.strip() == "%s-0: moving to %s" % (topic, ",".join(map(str, TARGET))), "reassign said: %s", out)
    polls = []

    def none_in_flight():
        listed = cli(cluster, "partition", "reassignments", topic, "-o", "json")
        polls.append(len(listed))
        return not listed
    cluster.wait(lambda: "no reassignment in flight; polls saw %s" % polls, none_in_flight, MOVE_LIMIT_S, interval=0.2)
    moved_s = time.monotonic() - asked_at
    _, after = wait_described(cluster, topic, "replicas %s, all in sync" % TARGET,
                              lambda p: p["replicas"] == TARGET and sorted(p["isr"]) == TARGET, 10)
    check(after["leader"] in TARGET and not after["underReplicated"], "after the move: %s", after)
    time.sleep(0.5)  # and some records after it
    acked = producer.stop()
    read = read_back(cluster, topic)
    differ = next(((i, a, b) for i, (a, b) in enumerate(zip(read, acked)) if a != b), None)
    check(read == acked, "%d records read back, %d acknowledged; first difference (index, read, acknowledged): %s",
          len(read), len(acked), differ)
    log("moved %s -> %s in %.2f s (reassignments polled %d times, in flight in %d); leader %d; all %d acknowledged "
        "records read back once each at their offsets", ORIGINAL, TARGET, moved_s, len(polls),
        sum(1 for n in polls if n), after["leader"], len(acked))

    # --- 2. a leader bounce, then a preferred election -------------------------------------------------------
    preferred = TARGET[0]
    if after["leader"] != preferred:  # leadership starts at the preferred replica, so the bounce moves it away
        out = cli(cluster, "partition", "elect", topic, "--election-type", "preferred")
        check("leader elected" in out, "a first preferred election said: %s", out)
    other = TARGET[1]
    node = cluster.nodes[preferred]
    bounced_at = time.monotonic()
    node.terminate()
    check(node.process.wait(20) == 0, "node %d exited %s on SIGTERM", preferred, node.process.returncode)
    wait_described(cluster, topic, "leadership on %d" % other, lambda p: p["leader"] == other, 20)
    node.start()
    wait_described(cluster, topic, "node %d back in the ISR" % preferred, lambda p: sorted(p["isr"]) == TARGET, 30)
    back_s = time.monotonic() - bounced_at
    still = described(cluster, topic)
    check(still["leader"] == other, "leadership went back to %d before any election: %s", preferred, still)
    out = cli(cluster, "partition", "elect", topic, "--election-type", "preferred")
    check(out.strip() == "%s-0: leader elected" % topic, "the preferred election said: %s", out)
    elect_s, final = wait_described(cluster, topic, "the preferred replica %d leading" % preferred,
                                    lambda p: p["leader"] == preferred, 10)
    again = cli(cluster, "partition", "elect", topic, "--election-type", "preferred")
    check(again.strip() == "%s-0: no election needed" % topic, "a second preferred election said: %s", again)
    log("node %d bounced: leadership on %d, node %d back in the ISR %.2f s after the SIGTERM; the preferred election "
        "gave it back to %d (describe showed it %.2f s later); replicas %s isr %s", preferred, other, preferred,
        back_s, preferred, elect_s, final["replicas"], final["isr"])
    log("move %s -> %s under load: %.2fs, %d records intact; leader bounce and preferred election: leader %d -> %d "
        "-> %d", ORIGINAL, TARGET, moved_s, len(acked), preferred, other, preferred)
