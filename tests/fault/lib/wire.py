"""Metadata v4 asked of one chosen node, with replicas and ISR (tests/interop/lib/cluster_wire.py keeps only the
leaders): the harness must ask a node it knows is reachable, and see what that node believes."""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "interop", "lib"))
from kafka_wire import Reader, connect, read_response, request  # noqa: E402

WIRE_ERRORS = (OSError, ValueError, struct.error, IndexError)


def _string(value):
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


def metadata(bootstrap, topics, timeout=3.0):
    """({broker id: "host:port"}, controller id, {topic: (error, {partition: (error, leader, [replicas], [isr])})})"""
    body = struct.pack(">i", len(topics)) + b"".join(_string(t) for t in topics) + struct.pack(">b", 0)
    with connect(bootstrap, timeout) as sock:
        sock.settimeout(timeout)
        sock.sendall(request(3, 4, 31, body))
        r = Reader(read_response(sock))
    r.take(">i")
    r.take(">i")
    brokers = {}
    for _ in range(r.take(">i")):
        node_id = r.take(">i")
        host = r.string()
        port = r.take(">i")
        r.string()
        brokers[node_id] = "%s:%d" % (host, port)
    r.string()
    controller = r.take(">i")
    found = {}
    for _ in range(r.take(">i")):
        error = r.take(">h")
        name = r.string()
        r.take(">b")
        partitions = {}
        for _ in range(r.take(">i")):
            partition_error, partition, leader = r.take(">hii")
            lists = []
            for _ in range(2):
                lists.append([r.take(">i") for _ in range(r.take(">i"))])
            partitions[partition] = (partition_error, leader, lists[0], lists[1])
        found[name] = (error, partitions)
    return brokers, controller, found


def try_metadata(bootstrap, topics, timeout=3.0):
    try:
        return metadata(bootstrap, topics, timeout)
    except WIRE_ERRORS:
        return None
