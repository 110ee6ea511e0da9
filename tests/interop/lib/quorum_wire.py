"""Raw KRaft admin requests for tests of a controller quorum, whose nodes serve no Metadata (so
ordinary clients cannot route to them): DescribeQuorum v0, CreateTopics v5 and
IncrementalAlterConfigs v1, all flexible versions (compact strings and arrays, tagged fields)."""
import struct

from kafka_wire import Reader, connect, read_response, string, uvarint

API_CREATE_TOPICS, API_INCREMENTAL_ALTER_CONFIGS, API_DESCRIBE_QUORUM = 19, 44, 55
METADATA_TOPIC = "__cluster_metadata"


def _compact_string(value):
    raw = value.encode()
    return uvarint(len(raw) + 1) + raw


def _flexible_request(api_key, api_version, correlation_id, body, client_id="gregor-interop"):
    payload = struct.pack(">hhi", api_key, api_version, correlation_id) + string(client_id) + uvarint(0) + body
    return struct.pack(">i", len(payload)) + payload


class FlexReader(Reader):
    def uvarint(self):
        shift, value = 0, 0
        while True:
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7

    def compact_string(self):
        length = self.uvarint() - 1
        if length < 0:
            return None
        raw = self.data[self.pos:self.pos + length]
        self.pos += length
        return raw.decode()

    def skip_tags(self):
        for _ in range(self.uvarint()):
            self.uvarint()
            self.pos += self.uvarint()


def describe_quorum(bootstrap, timeout=5.0):
    """(error, leader_id, leader_epoch, high_watermark, {voter_id: log_end_offset}) from one node."""
    body = (uvarint(2) + _compact_string(METADATA_TOPIC) + uvarint(2) + struct.pack(">i", 0) + uvarint(0)
            + uvarint(0) + uvarint(0))
    with connect(bootstrap, timeout) as sock:
        sock.sendall(_flexible_request(API_DESCRIBE_QUORUM, 0, 11, body))
        r = FlexReader(read_response(sock))
    r.take(">i")
    r.skip_tags()
    top_error = r.take(">h")
    if top_error:
        return top_error, -1, -1, -1, {}
    r.uvarint()  # one topic
    r.compact_string()
    r.uvarint()  # one partition
    r.take(">i")
    error, leader, epoch, high_watermark = r.take(">hiiq")
    voters = {}
    for _ in range(r.uvarint() - 1):
        voter, end = r.take(">iq")
        r.skip_tags()
        voters[voter] = end
    return error, leader, epoch, high_watermark, voters


def create_topic(bootstrap, name, partitions, timeout=5.0):
    """The error code CreateTopics v5 answers for one topic of replication factor 1."""
    return create_topic_answer(bootstrap, name, partitions, timeout=timeout)[0]


def create_topic_answer(bootstrap, name, partitions, replication_factor=1, timeout=5.0, timeout_ms=10000):
    """(error code, error message) CreateTopics v5 answers for one topic, sent to the node at bootstrap."""
    topic = (_compact_string(name) + struct.pack(">ih", partitions, replication_factor) + uvarint(1) + uvarint(1)
             + uvarint(0))
    body = uvarint(2) + topic + struct.pack(">ib", timeout_ms, 0) + uvarint(0)
    with connect(bootstrap, timeout) as sock:
        sock.sendall(_flexible_request(API_CREATE_TOPICS, 5, 12, body))
        r = FlexReader(read_response(sock))
    r.take(">i")
    r.skip_tags()
    r.take(">i")  # throttle
    r.uvarint()
    r.compact_string()
    return r.take(">h"), r.compact_string()


def set_cluster_config(bootstrap, name, value, timeout=5.0):
    """The error code IncrementalAlterConfigs v1 answers for SET name=value on every broker (resource BROKER, "")."""
    config = _compact_string(name) + struct.pack(">b", 0) + _compact_string(value) + uvarint(0)
    resource = struct.pack(">b", 4) + _compact_string("") + uvarint(2) + config + uvarint(0)
    body = uvarint(2) + resource + struct.pack(">b", 0) + uvarint(0)
    with connect(bootstrap, timeout) as sock:
        sock.sendall(_flexible_request(API_INCREMENTAL_ALTER_CONFIGS, 1, 13, body))
        r = FlexReader(read_response(sock))
    r.take(">i")
    r.skip_tags()
    r.take(">i")  # throttle
    r.uvarint()
    return r.take(">h")
