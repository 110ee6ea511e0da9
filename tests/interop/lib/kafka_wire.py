"""Just enough of the Kafka wire protocol, written by hand, to send requests no well-behaved
client would send (corrupt CRCs, oversize frames, unknown API keys) and to probe a broker.

Only non-flexible request/response shapes are built here (request header v1, response
header v0), plus the one flexible ApiVersions request used to ask for an unsupported version.
"""
import socket
import struct
import time

API_PRODUCE = 0
API_METADATA = 3
API_OFFSET_COMMIT = 8
API_OFFSET_FETCH = 9
API_OFFSET_DELETE = 47
API_API_VERSIONS = 18

# Error codes from the Kafka protocol.
NONE = 0
CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
MESSAGE_TOO_LARGE = 10
UNSUPPORTED_VERSION = 35


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    table = _CRC32C
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283, "CRC32C check value"


def varint(value):
    """Zig-zag signed varint, as record fields use."""
    zigzag = (value << 1) ^ (value >> 63)
    out = bytearray()
    while zigzag & ~0x7F:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


def uvarint(value):
    out = bytearray()
    while value & ~0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def string(value):
    if value is None:
        return struct.pack(">h", -1)
    raw = value.encode()
    return struct.pack(">h", len(raw)) + raw


def _record(offset_delta, timestamp_delta, key, value, headers):
    body = bytearray(b"\x00")  # attributes
    body += varint(timestamp_delta) + varint(offset_delta)
    for part in (key, value):
        if part is None:
            body += varint(-1)
        else:
            body += varint(len(part)) + part
    body += varint(len(headers))
    for name, header_value in headers:
        body += varint(len(name)) + name + varint(len(header_value)) + header_value
    return varint(len(body)) + bytes(body)


def record_batch(records, base_timestamp, corrupt_crc=False, producer_id=-1, producer_epoch=-1, base_sequence=-1):
    """An uncompressed RecordBatch v2 (magic 2) holding records [(key, value, [(name, value)])],
    the i-th stamped base_timestamp + i. With corrupt_crc the stored CRC is off by one. An idempotent
    producer's batch carries its producer id, epoch and the sequence number of its first record."""
    encoded = b"".join(
        _record(i, i, key, value, headers) for i, (key, value, headers) in enumerate(records))
    after_crc = struct.pack(
        ">hiqqqhii", 0, len(records) - 1, base_timestamp, base_timestamp + len(records) - 1,
        producer_id, producer_epoch, base_sequence, len(records)) + encoded
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 1
    # partitionLeaderEpoch, magic, crc, then the CRC-covered part.
    after_length = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(after_length)) + after_length


def request(api_key, api_version, correlation_id, body, client_id="gregor-interop"):
    """A framed request with header v1 (non-flexible)."""
    payload = struct.pack(">hhi", api_key, api_version, correlation_id) + string(client_id) + body
    return struct.pack(">i", len(payload)) + payload


def produce_v3(correlation_id, topic, partition, batch, acks=-1, timeout_ms=30000):
    body = (string(None) + struct.pack(">hi", acks, timeout_ms)
            + struct.pack(">i", 1) + string(topic)
            + struct.pack(">i", 1) + struct.pack(">i", partition)
            + struct.pack(">i", len(batch)) + batch)
    return request(API_PRODUCE, 3, correlation_id, body)


def offset_commit_v2(correlation_id, group, topic, offsets, generation=-1, member_id=""):
    """OffsetCommit v2 for one topic; offsets is {partition: (offset, metadata)}. Generation -1
    with no member id is a standalone commit (allowed while the group has no members)."""
    body = (string(group) + struct.pack(">i", generation) + string(member_id)
            + struct.pack(">q", -1)  # retention time: the broker's default
            + struct.pack(">i", 1) + string(topic) + struct.pack(">i", len(offsets)))
    for partition, (offset, metadata) in sorted(offsets.items()):
        body += struct.pack(">iq", partition, offset) + string(metadata)
    return request(API_OFFSET_COMMIT, 2, correlation_id, body)


def parse_offset_commit_v2(payload):
    """-> (correlation_id, {(topic, partition): error_code})"""
    reader = Reader(payload)
    correlation_id = reader.take(">i")
    results = {}
    for _ in range(reader.take(">i")):
        topic = reader.string()
        for _ in range(reader.take(">i")):
            partition, error = reader.take(">ih")
            results[(topic, partition)] = error
    return correlation_id, results


def offset_fetch_v1(correlation_id, group, topic, partitions):
    body = (string(group) + struct.pack(">i", 1) + string(topic)
            + struct.pack(">i", len(partitions)) + b"".join(struct.pack(">i", p) for p in partitions))
    return request(API_OFFSET_FETCH, 1, correlation_id, body)


def parse_offset_fetch_v1(payload):
    """-> (correlation_id, {(topic, partition): (offset, metadata, error_code)})"""
    reader = Reader(payload)
    correlation_id = reader.take(">i")
    results = {}
    for _ in range(reader.take(">i")):
        topic = reader.string()
        for _ in range(reader.take(">i")):
            partition, offset = reader.take(">iq")
            metadata = reader.string()
            results[(topic, partition)] = (offset, metadata, reader.take(">h"))
    return correlation_id, results


def offset_delete_v0(correlation_id, group, topic, partitions):
    body = (string(group) + struct.pack(">i", 1) + string(topic)
            + struct.pack(">i", len(partitions)) + b"".join(struct.pack(">i", p) for p in partitions))
    return request(API_OFFSET_DELETE, 0, correlation_id, body)


def parse_offset_delete_v0(payload):
    """-> (correlation_id, error_code, {(topic, partition): error_code})"""
    reader = Reader(payload)
    correlation_id, error, _throttle = reader.take(">ihi")
    results = {}
    for _ in range(reader.take(">i")):
        topic = reader.string()
        for _ in range(reader.take(">i")):
            partition, partition_error = reader.take(">ih")
            results[(topic, partition)] = partition_error
    return correlation_id, error, results


def api_versions_flexible(api_version, correlation_id, client_id="gregor-interop"):
    """ApiVersions at a flexible version (3+): header v2, compact-string body, tagged fields."""
    header = (struct.pack(">hhi", API_API_VERSIONS, api_version, correlation_id)
              + string(client_id) + uvarint(0))
    name, version = b"gregor-interop", b"1.0"
    body = uvarint(len(name) + 1) + name + uvarint(len(version) + 1) + version + uvarint(0)
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return values if len(values) > 1 else values[0]

    def string(self):
        length = self.take(">h")
        if length < 0:
            return None
        raw = self.data[self.pos:self.pos + length]
        self.pos += length
        return raw.decode()


def parse_produce_v3(payload):
    """-> (correlation_id, {(topic, partition): (error_code, base_offset)})"""
    reader = Reader(payload)
    correlation_id = reader.take(">i")
    results = {}
    for _ in range(reader.take(">i")):
        topic = reader.string()
        for _ in range(reader.take(">i")):
            partition, error, base_offset, _append_time = reader.take(">ihqq")
            results[(topic, partition)] = (error, base_offset)
    return correlation_id, results


def parse_api_versions_v0(payload):
    """-> (correlation_id, error_code, {api_key: (min, max)})"""
    reader = Reader(payload)
    correlation_id, error = reader.take(">ih")
    keys = {}
    for _ in range(reader.take(">i")):
        key, low, high = reader.take(">hhh")
        keys[key] = (low, high)
    return correlation_id, error, keys


def connect(bootstrap, timeout=10.0):
    host, port = bootstrap.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _recv_exact(sock, count):
    chunks, remaining = [], count
    while remaining:
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise ConnectionError("connection closed with %d of %d bytes unread" % (remaining, count))
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def read_response(sock):
    """The payload of one response frame (correlation id first)."""
    size = struct.unpack(">i", _recv_exact(sock, 4))[0]
    if size < 4 or size > 100 << 20:
        raise ValueError("implausible response size %d" % size)
    return _recv_exact(sock, size)


def roundtrip(sock, frame):
    sock.sendall(frame)
    return read_response(sock)


def wait_closed(sock, timeout):
    """True when the peer closes (EOF or reset) within timeout; any bytes it sends first are
    returned as the second element so a test can say what came back instead."""
    sock.settimeout(0.2)
    received = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return True, received
        if not chunk:
            return True, received
        received += chunk
    return False, received


def api_versions_ok(bootstrap, timeout=2.0):
    """True when the broker answers ApiVersions v0 with no error."""
    try:
        with connect(bootstrap, timeout) as sock:
            correlation_id, error, keys = parse_api_versions_v0(
                roundtrip(sock, request(API_API_VERSIONS, 0, 7, b"")))
            return correlation_id == 7 and error == NONE and API_PRODUCE in keys
    except (OSError, ValueError, struct.error):
        return False


API_FETCH = 1


def produce_v7_fan_out(correlation_id, topic, partitions):
    """Produce v7 (acks=1) naming partitions 0..partitions-1 of topic, each with null records: 8 bytes a
    partition, the fan-out attack of issue 11 (ten million partitions in 80 MB)."""
    body = (struct.pack(">hhi", -1, 1, 30000) + struct.pack(">i", 1) + string(topic) + struct.pack(">i", partitions)
            + b"".join(struct.pack(">ii", i, -1) for i in range(partitions)))
    return request(API_PRODUCE, 7, correlation_id, body)


def fetch_v4(correlation_id, topic, partitions, offset, max_bytes, partition_max_bytes, max_wait_ms=0,
             min_bytes=1):
    """Fetch v4 (the oldest Kafka 4 serves) of one partition, or of each of a list of them, all from
    offset; the response is not parsed here (the attacks that use it ask for everything and then read
    it without looking, or do not read it at all)."""
    partitions = partitions if isinstance(partitions, (list, tuple, range)) else [partitions]
    body = (struct.pack(">iiiib", -1, max_wait_ms, min_bytes, max_bytes, 0)
            + struct.pack(">i", 1) + string(topic)
            + struct.pack(">i", len(partitions))
            + b"".join(struct.pack(">iqi", partition, offset, partition_max_bytes) for partition in partitions))
    return request(API_FETCH, 4, correlation_id, body)
