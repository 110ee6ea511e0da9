"""The metadata path of one build: the time CreateTopics takes to answer for a topic of --partitions partitions
(1,000 by default: one controller operation, one metadata batch committed and folded), and for --small topics
of one partition created one request each (the controller's per-operation cost). A fresh broker per build,
rounds alternating between the builds by the caller. Prints one JSON line per round."""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "interop", "lib"))
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from broker import Broker, free_port  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--dll", required=True)
parser.add_argument("--label", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--round", type=int, default=0)
parser.add_argument("--partitions", type=int, default=1000)
parser.add_argument("--small", type=int, default=100)
args = parser.parse_args()

broker = Broker(args.dll, os.path.join(args.work, "%s-%d" % (args.label, args.round)), free_port(),
                os.path.join(args.work, "%s-%d.log" % (args.label, args.round)))
broker.start()
try:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap, "log_level": 0})
    admin.create_topics([NewTopic("warm-up", 1, 1)])["warm-up"].result(30)
    started = time.perf_counter()
    admin.create_topics([NewTopic("big", args.partitions, 1)], request_timeout=60)["big"].result(60)
    big = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(args.small):
        admin.create_topics([NewTopic("small-%d" % i, 1, 1)])["small-%d" % i].result(30)
    small = (time.perf_counter() - started) / args.small
    print(json.dumps({"build": args.label, "round": args.round, "big_topic_ms": round(big * 1000, 1),
                      "small_topic_ms": round(small * 1000, 2), "partitions": args.partitions}))
finally:
    broker.stop()
