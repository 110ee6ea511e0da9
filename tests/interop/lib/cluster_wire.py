"""Raw requests to one chosen node of a cluster, for the cluster cases: an ordinary client picks the node it asks
itself (and caches what it learnt), while a case that measures a failover must ask a node it knows to be alive, at
once, every time. Non-flexible versions only (request header v1, response header v0): Metadata v4 and
FindCoordinator v1. CreateTopics (flexible) is in quorum_wire."""
import struct

from kafka_wire import Reader, connect, read_response, request

API_METADATA, API_FIND_COORDINATOR = 3, 10
LEADER_NOT_AVAILABLE = 5


class Metadata:
    """What one node answered to Metadata v4: brokers {id: "host:port"}, controller_id, and per topic asked
    (error, {partition: leader})."""

    def __init__(self, brokers, cluster_id, controller_id, topics):
        self.brokers, self.cluster_id, self.controller_id, self.topics = brokers, cluster_id, controller_id, topics

    def leaders(self, topic):
        """{partition: leader id (-1 when none)}; {} when the topic is unknown or in error."""
        error, partitions = self.topics.get(topic, (3, {}))
        return {} if error not in (0, LEADER_NOT_AVAILABLE) else {p: leader for p, (_, leader) in partitions.items()}

    def __repr__(self):
        return "Metadata(brokers=%s, controller=%s, topics=%s)" % (self.brokers, self.controller_id, self.topics)


def metadata(bootstrap, topics=None, timeout=3.0):
    """Metadata v4 from the node at bootstrap; topics None asks for every topic. Never creates a topic."""
    if topics is None:
        body = struct.pack(">i", -1)
    else:
        body = struct.pack(">i", len(topics)) + b"".join(_string(t) for t in topics)
    body += struct.pack(">b", 0)  # allow_auto_topic_creation: false
    with connect(bootstrap, timeout) as sock:
        sock.sendall(request(API_METADATA, 4, 21, body))
        r = Reader(read_response(sock))
    correlation_id = r.take(">i")
    if correlation_id != 21:
        raise ValueError("Metadata answered correlation id %d" % correlation_id)
    r.take(">i")  # throttle
    brokers = {}
    for _ in range(r.take(">i")):
        node_id = r.take(">i")
        host = r.string()
        port = r.take(">i")
        r.string()  # rack
        brokers[node_id] = "%s:%d" % (host, port)
    cluster_id = r.string()
    controller_id = r.take(">i")
    found = {}
    for _ in range(r.take(">i")):
        error = r.take(">h")
        name = r.string()
        r.take(">b")  # is_internal
        partitions = {}
        for _ in range(r.take(">i")):
            partition_error, partition, leader = r.take(">hii")
            for _ in range(2):  # replicas, then isr
                for _ in range(r.take(">i")):
                    r.take(">i")
            partitions[partition] = (partition_error, leader)
        found[name] = (error, partitions)
    return Metadata(brokers, cluster_id, controller_id, found)


def find_coordinator(bootstrap, group, timeout=3.0):
    """(error, node_id, "host:port") of the group's coordinator, as the node at bootstrap answers FindCoordinator v1."""
    body = _string(group) + struct.pack(">b", 0)
    with connect(bootstrap, timeout) as sock:
        sock.sendall(request(API_FIND_COORDINATOR, 1, 22, body))
        r = Reader(read_response(sock))
    r.take(">i")  # correlation id
    r.take(">i")  # throttle
    error = r.take(">h")
    r.string()  # error message
    node_id = r.take(">i")
    host = r.string()
    port = r.take(">i")
    return error, node_id, "%s:%d" % (host, port)


def _string(value):
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw
