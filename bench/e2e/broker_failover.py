"""One round of bench/e2e/broker-failover.sh: a fresh cluster of three combined nodes (tests/interop/lib/cluster.py),
a topic of --partitions partitions (replication factor 1, led by all three) with a few records in each, then:

  kill -9 of a broker that is not the active controller -> seconds until a survivor's Metadata shows all of its
      partitions with leader -1 (the controller fences it when its session expires);
  restart of that broker on its data -> seconds until its partitions are led by it again (and until it answered);
  SIGTERM of a broker that is not the active controller -> seconds until its partitions show leader -1 (controlled
      shutdown), and until the process exited (with its exit code).

Metadata is asked of the survivors directly, every 50 ms. Prints one JSON line."""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "interop", "lib"))
from confluent_kafka import Producer  # noqa: E402
from cluster import Cluster  # noqa: E402
import quorum_wire  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--dll", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--round", type=int, default=1)
parser.add_argument("--partitions", type=int, default=9)
parser.add_argument("--session-ms", type=int, help="broker.session.timeout.ms (default: the broker's, 9000)")
parser.add_argument("--heartbeat-ms", type=int, help="broker.heartbeat.interval.ms (default: the broker's, 2000)")
args = parser.parse_args()

settings = []
if args.session_ms:
    settings.append("broker.session.timeout.ms=%d" % args.session_ms)
if args.heartbeat_ms:
    settings.append("broker.heartbeat.interval.ms=%d" % args.heartbeat_ms)


def owned_by(leaders, node):
    owned = sorted(p for p, leader in leaders.items() if leader == node)
    if not owned:
        raise AssertionError("node %d leads no partition: %s" % (node, leaders))
    return owned


with Cluster(args.dll, os.path.join(args.work, "round-%d" % args.round), settings=settings) as cluster:
    start_s = cluster.start()
    nodes = sorted(cluster.nodes)
    topic = "failover"
    error, message = quorum_wire.create_topic_answer(cluster.nodes[nodes[0]].bootstrap, topic, args.partitions,
                                                     timeout=20)
    if error:
        raise AssertionError("CreateTopics: %d %s" % (error, message))
    leaders = cluster.wait_leaders(topic, args.partitions)
    producer = Producer({"bootstrap.servers": cluster.bootstrap_list, "acks": "all", "linger.ms": 5})
    for p in range(args.partitions):
        for i in range(100):
            producer.produce(topic, value=b"record %d" % i, partition=p)
    if producer.flush(60):
        raise AssertionError("records unacknowledged after 60 s")

    controller = cluster.active_controller()
    victim = next(n for n in nodes if n != controller)
    owned = owned_by(leaders, victim)
    survivors = [n for n in nodes if n != victim]
    killed_at = time.monotonic()
    cluster.nodes[victim].kill()
    kill_s, _ = cluster.wait_leader(topic, owned, -1, survivors, killed_at, timeout=120)
    restarted_at = time.monotonic()
    answering_s = cluster.nodes[victim].start()
    back_s, _ = cluster.wait_leader(topic, owned, victim, nodes, restarted_at, timeout=120)

    controller = cluster.active_controller()
    leaders = cluster.wait_leaders(topic, args.partitions)
    target = next(n for n in nodes if n != controller)
    code, exit_s, sigterm_s, _ = cluster.terminate_and_watch(target, topic, owned_by(leaders, target),
                                                             [n for n in nodes if n != target], timeout=120)
    print(json.dumps({"round": args.round, "session_ms": args.session_ms or 9000, "start_s": round(start_s, 2),
                      "kill_to_leader_none_s": round(kill_s, 3), "restart_answering_s": round(answering_s, 3),
                      "restart_to_leader_s": round(back_s, 3), "sigterm_to_leader_none_s": round(sigterm_s, 3),
                      "sigterm_exit_s": round(exit_s, 3), "sigterm_exit_code": code}), flush=True)
