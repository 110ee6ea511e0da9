"""Topic set-up shared by the interop tests (run with /usr/bin/python3).

As a command: admin.py create TOPIC PARTITIONS [config=value ...]
Bootstrap address from $GREGOR_BOOTSTRAP.
"""
import os
import sys
import time

from confluent_kafka.admin import AdminClient, NewTopic


def bootstrap():
    return os.environ["GREGOR_BOOTSTRAP"]


def admin_client():
    return AdminClient({"bootstrap.servers": bootstrap(), "socket.timeout.ms": 10000})


def wait_for_leaders(admin, topic, partitions, timeout=15.0):
    """Until Metadata shows the topic with every partition led (what a producer needs)."""
    deadline = time.monotonic() + timeout
    while True:
        metadata = admin.list_topics(topic=topic, timeout=5)
        found = metadata.topics.get(topic)
        if (found is not None and found.error is None and len(found.partitions) == partitions
                and all(p.leader >= 0 for p in found.partitions.values())):
            return
        if time.monotonic() > deadline:
            raise AssertionError("topic %s not ready: %r" % (topic, found and (found.error, {
                i: p.leader for i, p in found.partitions.items()})))
        time.sleep(0.2)


def create_topic(topic, partitions, config=None, admin=None):
    admin = admin if admin is not None else admin_client()  # a client with an empty queue is falsy
    futures = admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1, config=config or {})],
        operation_timeout=10)
    futures[topic].result(timeout=30)
    wait_for_leaders(admin, topic, partitions)


def main(args):
    if len(args) >= 3 and args[0] == "create":
        config = dict(setting.split("=", 1) for setting in args[3:])
        create_topic(args[1], int(args[2]), config)
        print("created %s with %s partitions %s" % (args[1], args[2], config or ""))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
