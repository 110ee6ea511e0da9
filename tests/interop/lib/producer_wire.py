"""Raw InitProducerId (v1, and the flexible v3 that may carry a producer id and epoch, KIP-360) and idempotent
Produce, for checks no well-behaved client makes: a batch sent twice, a sequence gap, an old epoch, an invented id."""
import struct
import time

from kafka_wire import (Reader, connect, parse_produce_v3, produce_v3, read_response, record_batch, request,
                        roundtrip, string, uvarint)
from interop import topic_batch_headers
from quorum_wire import FlexReader, _flexible_request

API_INIT_PRODUCER_ID = 22

# Error codes from the Kafka protocol.
OUT_OF_ORDER_SEQUENCE_NUMBER = 45
INVALID_PRODUCER_EPOCH = 47
UNKNOWN_PRODUCER_ID = 59
INVALID_REQUEST = 42
UNSUPPORTED_VERSION = 35
COORDINATOR_LOAD_IN_PROGRESS = 14


def init_producer_id(bootstrap, transactional_id=None, timeout_ms=60000, timeout=10.0):
    """InitProducerId v1 -> (error, producer_id, producer_epoch), asked again while the broker answers
    COORDINATOR_LOAD_IN_PROGRESS (it has no block of ids yet), as clients do."""
    body = string(transactional_id) + struct.pack(">i", timeout_ms)
    deadline = time.monotonic() + timeout
    while True:
        with connect(bootstrap, timeout) as sock:
            payload = roundtrip(sock, request(API_INIT_PRODUCER_ID, 1, 41, body))
        reader = Reader(payload)
        correlation_id, _throttle, error, producer_id, epoch = reader.take(">iihqh")
        assert correlation_id == 41, correlation_id
        if error != COORDINATOR_LOAD_IN_PROGRESS or time.monotonic() > deadline:
            return error, producer_id, epoch
        time.sleep(0.05)


def init_producer_id_v3(bootstrap, producer_id, producer_epoch, timeout=10.0):
    """InitProducerId v3 without a transactional id, presenting producer_id and producer_epoch -> (error, id, epoch)."""
    body = uvarint(0) + struct.pack(">iqh", 60000, producer_id, producer_epoch) + uvarint(0)
    with connect(bootstrap, timeout) as sock:
        sock.sendall(_flexible_request(API_INIT_PRODUCER_ID, 3, 43, body))
        payload = read_response(sock)
    reader = FlexReader(payload)
    assert reader.take(">i") == 43
    reader.skip_tags()
    _throttle, error, new_id, new_epoch = reader.take(">ihqh")
    return error, new_id, new_epoch


def produce_idempotent(sock, topic, partition, values, producer_id, epoch, sequence, correlation_id=1):
    """One batch of `values` from (producer_id, epoch) starting at `sequence`, acks=all -> (error, base_offset)."""
    batch = record_batch([(None, value.encode(), []) for value in values], 1_700_000_000_000,
                         producer_id=producer_id, producer_epoch=epoch, base_sequence=sequence)
    payload = roundtrip(sock, produce_v3(correlation_id, topic, partition, batch))
    _, results = parse_produce_v3(payload)
    return results[(topic, partition)]


def stored_producer_ids(data_dirs, topic):
    """{(producer_id, epoch)} of every batch in the topic's segment files under `data_dirs`, and the batch count."""
    seen, batches = set(), 0
    for data_dir in data_dirs:
        for _, header in topic_batch_headers(data_dir, topic, header_size=61):
            if header is not None:
                seen.add(struct.unpack(">qh", header[43:53]))
                batches += 1
    return seen, batches
