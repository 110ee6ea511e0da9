"""The metadata path in a cluster of three broker+controller nodes: CreateTopics of a topic of --partitions partitions
(1,000 by default) and of --small one-partition topics, sent to the broker on the active controller's node (handled in
place) and to a broker on another node (forwarded to the active controller), alternating topic by topic within one
fresh cluster per round. Prints one JSON line per round: medians in ms for each path."""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "interop", "lib"))
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from cluster import Cluster  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--dll", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--round", type=int, default=0)
parser.add_argument("--partitions", type=int, default=1000)
parser.add_argument("--big", type=int, default=4, help="topics of --partitions partitions per path")
parser.add_argument("--small", type=int, default=50, help="one-partition topics per path")
args = parser.parse_args()


def create(admin, name, partitions):
    started = time.perf_counter()
    admin.create_topics([NewTopic(name, partitions, 1)], request_timeout=60)[name].result(60)
    return (time.perf_counter() - started) * 1000


with Cluster(args.dll, os.path.join(args.work, "round-%d" % args.round)) as cluster:
    cluster.start()
    controller = cluster.active_controller()
    other = next(n for n in sorted(cluster.nodes) if n != controller)
    # One client per path, each bootstrapped from one broker only, so the request goes where this says.
    admins = {path: AdminClient({"bootstrap.servers": cluster.nodes[node].bootstrap, "log_level": 0})
              for path, node in (("in_place", controller), ("forwarded", other))}
    for path, admin in admins.items():
        create(admin, "warm-up-" + path, 1)
    times = {(path, size): [] for path in admins for size in ("big", "small")}
    for i in range(max(args.big, args.small)):
        for path, admin in admins.items():
            if i < args.big:
                times[(path, "big")].append(create(admin, "big-%s-%d" % (path, i), args.partitions))
            if i < args.small:
                times[(path, "small")].append(create(admin, "small-%s-%d" % (path, i), 1))
    if cluster.active_controller() != controller:
        sys.exit("the active controller moved during the round; its figures would mix the paths")
    result = {"round": args.round, "partitions": args.partitions, "controller": controller, "forwarder": other}
    for (path, size), values in times.items():
        result["%s_%s_ms" % (size, path)] = round(statistics.median(values), 1)
    result["big_forwarded_over_in_place"] = round(result["big_forwarded_ms"] / result["big_in_place_ms"], 2)
    result["small_forwarded_over_in_place"] = round(result["small_forwarded_ms"] / result["small_in_place_ms"], 2)
    print(json.dumps(result), flush=True)
