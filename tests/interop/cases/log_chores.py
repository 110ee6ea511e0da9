"""The broker's background chores, seen live: on a broker of its own whose chores run on its own
schedule (log.retention.check.interval.ms=300, log.cleaner.backoff.ms=200; nothing calls them), while
a confluent-kafka producer keeps writing (segment.ms rolls happen on append, as in Kafka):
- retention by time: 100 messages pass a topic's retention.ms (3 s) and disappear: ListOffsets
  earliest (the low watermark) moves past them, a consumer from the beginning starts after them,
  fetching offset 0 is out of range, and their segment file is gone from the partition folder;
  the newest messages stay;
- compaction: a compacted topic (min.cleanable.dirty.ratio 0.01, delete.retention.ms 1 s) written
  in ten rounds over ten keys, then tombstones for three of them, keeps exactly the last value of
  each other key at the offset it was written at, loses the tombstoned keys entirely once the
  tombstones are older than delete.retention.ms, and keeps its log start offset at 0;
- __consumer_offsets is compacted too: 600 commits (4 KB of metadata each; offsets.topic.segment.bytes
  1 MiB, the least a topic's segment.bytes may be)
  of one group's offset leave only the latest ones in the log, and after a restart the coordinator,
  reading the compacted log, answers the last commit."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
import kafka_wire  # noqa: E402
from broker import Broker, free_port  # noqa: E402
from groups import wait_until  # noqa: E402
from interop import check, env, log, scratch, unique_topic  # noqa: E402

broker = Broker(env("GREGOR_DLL"), scratch("chores-data"), free_port(), scratch("chores-broker.log"),
                extra_settings=["log.retention.check.interval.ms=300", "log.cleaner.backoff.ms=200",
                                "offsets.topic.num.partitions=1", "offsets.topic.segment.bytes=1048576",
                                "group.initial.rebalance.delay.ms=0"])
retained, compacted = unique_topic("chores-retention"), unique_topic("chores-compaction")
group = unique_topic("chores-group")
OLD = 100
KEYS, ROUNDS, TOMBSTONED = 10, 10, 3
COMMITS = 600


def create(admin, topic, config):
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1, config=config)], operation_timeout=10)
    futures[topic].result(timeout=30)


def consumer(**overrides):
    config = {"bootstrap.servers": broker.bootstrap, "group.id": unique_topic("chores-reader"),
              "enable.auto.commit": False, "auto.offset.reset": "earliest"}
    config.update(overrides)
    return Consumer(config)


def watermarks(topic):
    reader = consumer()
    try:
        return reader.get_watermark_offsets(TopicPartition(topic, 0), timeout=10, cached=False)
    finally:
        reader.close()


def read_all(topic, start=-2):
    """(offset, key, value) of every message from start (default: the beginning) up to the high
    watermark measured first; a compacted log has gaps, the newest message is always there."""
    _, high = watermarks(topic)
    reader = consumer()
    found = []
    try:
        reader.assign([TopicPartition(topic, 0, start)])
        deadline = time.monotonic() + 30
        while not found or found[-1][0] < high - 1:
            check(time.monotonic() < deadline, "%s: read up to %s of %d in 30 s", topic, found[-1][0] if found else None, high)
            message = reader.poll(0.2)
            if message is None:
                continue
            check(not message.error(), "%s: %s", topic, message.error())
            found.append((message.offset(), message.key(), message.value()))
    finally:
        reader.close()
    return found


def wire(frame):
    with kafka_wire.connect(broker.bootstrap) as sock:
        return kafka_wire.roundtrip(sock, frame)


def offset_records():
    """The committed offsets of our group's record key in __consumer_offsets, in log order. A key
    (version 0/1) is group, topic, partition; a value starts with its version and the offset."""
    found = []
    for _, key, value in read_all("__consumer_offsets"):
        if key is None or int.from_bytes(key[:2], "big") > 1:
            continue
        length = int.from_bytes(key[2:4], "big")
        if key[4:4 + length].decode() == group and value is not None:
            found.append(int.from_bytes(value[2:10], "big", signed=True))
    return found


broker.start()
try:
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    create(admin, retained, {"retention.ms": "3000", "segment.ms": "1000", "file.delete.delay.ms": "0"})
    create(admin, compacted, {"cleanup.policy": "compact", "segment.ms": "500", "min.cleanable.dirty.ratio": "0.01",
                              "delete.retention.ms": "1000", "file.delete.delay.ms": "0"})
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0, "acks": "all"})
    delivered = {}

    def report(error, message):
        check(error is None, "delivery failed: %s", error)
        delivered[(message.topic(), message.key())] = message.offset()

    for i in range(OLD):
        producer.produce(retained, value=b"old-%d" % i)
    check(producer.flush(20) == 0, "the old messages were not delivered")
    filler = [0]

    def keep_writing():
        """A filler message to each topic now and then: appends roll segments past segment.ms, and new
        dirty segments give the cleaner its next pass."""
        producer.produce(retained, value=b"new-%d" % filler[0])
        producer.produce(compacted, key=b"filler", value=b"f-%d" % filler[0])
        filler[0] += 1
        producer.poll(0)

    for r in range(ROUNDS):
        for k in range(KEYS):
            producer.produce(compacted, key=b"k%d" % k, value=b"k%d-v%d" % (k, r), on_delivery=report)
        check(producer.flush(20) == 0, "round %d was not delivered", r)
        time.sleep(0.2)  # pacing only: the rounds spread over several 500 ms segments
    for k in range(TOMBSTONED):
        producer.produce(compacted, key=b"k%d" % k, value=None, on_delivery=report)
    check(producer.flush(20) == 0, "the tombstones were not delivered")
    latest = {b"k%d" % k: delivered[(compacted, b"k%d" % k)] for k in range(TOMBSTONED, KEYS)}

    # Retention by time, on the broker's own schedule.
    folder = os.path.join(broker.data_dir, retained + "-0")

    def retained_low():
        low = watermarks(retained)[0]
        return low if low >= OLD else None

    low = wait_until("the old messages to pass retention.ms and go", retained_low, 45, interval=0.3, between=keep_writing)
    # Retention may have emptied the log (the active segment goes too once all of it expired, as in
    # Kafka), so one newer message is made sure of before reading from the beginning.
    keep_writing()
    check(producer.flush(20) == 0, "a newer message was not delivered")
    first = read_all(retained)[0]
    check(first[0] >= OLD and first[2].startswith(b"new-"), "from the beginning a consumer starts at %s", first)
    out_of_range = consumer(**{"auto.offset.reset": "error"})
    out_of_range.assign([TopicPartition(retained, 0, 0)])

    def fetch_error():
        message = out_of_range.poll(0.2)
        return message.error() if message is not None and message.error() else None

    error = wait_until("fetching offset 0 to fail", fetch_error, 20)
    out_of_range.close()
    check(error.code() == KafkaError._AUTO_OFFSET_RESET, "fetching offset 0: %s", error)
    wait_until("the old segment's file to be deleted", lambda: "00000000000000000000.log" not in os.listdir(folder), 20,
               between=keep_writing)
    _, high = watermarks(retained)
    newest = read_all(retained, high - 1)
    check(newest[-1][2].startswith(b"new-"), "the newest message: %s", newest)
    log("retention: low watermark %d after the %d old messages passed retention.ms (3 s); offset 0 is out of range, "
        "segment 0 deleted; %d newer messages kept", low, OLD, high - low)

    # Compaction, on the cleaner's own schedule.
    def compacted_state():
        state = {}
        for offset, key, value in read_all(compacted):
            state.setdefault(key, []).append((offset, value))
        return state

    def compacted_as_expected():
        state = compacted_state()
        return all(state.get(key) == [(offset, key + b"-v%d" % (ROUNDS - 1))] for key, offset in latest.items()) \
            and not any(b"k%d" % k in state for k in range(TOMBSTONED))

    wait_until(lambda: "the compacted topic to keep one value per key and drop the tombstones: %s"
               % {k: v for k, v in compacted_state().items() if k != b"filler"},
               compacted_as_expected, 45, interval=0.5, between=keep_writing)
    low, high = watermarks(compacted)
    check(low == 0, "compaction moved the log start offset to %d", low)
    log("compaction: %d keys x %d rounds -> the last value of each of %d keys at its own offset, the %d tombstoned keys gone, "
        "log start still 0 (high watermark %d)", KEYS, ROUNDS, KEYS - TOMBSTONED, TOMBSTONED, high)
    check(producer.flush(20) == 0, "filler messages not delivered")

    # __consumer_offsets: standalone commits of one group's offset with 4 KB of metadata each, so 600
    # of them fill more than two of the offsets topic's 1 MiB segments.
    metadata = "m" * 4096
    with kafka_wire.connect(broker.bootstrap) as sock:
        for i in range(1, COMMITS + 1):
            frame = kafka_wire.offset_commit_v2(i, group, retained, {0: (i, metadata if i < COMMITS else "last")})
            _, results = kafka_wire.parse_offset_commit_v2(kafka_wire.roundtrip(sock, frame))
            check(results == {(retained, 0): 0}, "commit %d: %s", i, results)

    def compacted_commits():
        found = offset_records()
        return found if found and found[0] > 1 and len(found) < COMMITS else None

    records = wait_until(lambda: "the superseded commits to leave __consumer_offsets: %d of %d left" % (len(offset_records()), COMMITS),
                         compacted_commits, 45, interval=0.5)
    check(records == sorted(records) and records[-1] == COMMITS, "commits left in __consumer_offsets: %s", records)
    broker.stop()
    broker.start()

    def fetched_after_restart():
        # The coordinator takes its partition over and loads it after the port opens; until then it
        # answers NOT_COORDINATOR (16) or COORDINATOR_LOAD_IN_PROGRESS (14), which clients retry.
        _, answer = kafka_wire.parse_offset_fetch_v1(wire(kafka_wire.offset_fetch_v1(1, group, retained, [0])))
        return None if any(error in (14, 15, 16) for _, _, error in answer.values()) else answer

    results = wait_until("the restarted coordinator to load __consumer_offsets", fetched_after_restart, 20)
    check(results == {(retained, 0): (COMMITS, "last", 0)}, "after a restart OffsetFetch answers %s", results)
    log("__consumer_offsets: %d commits of one key -> %d left (the latest, from offset %d on); after a restart the "
        "coordinator answers the last one", COMMITS, len(records), records[0])
finally:
    if broker.alive():
        broker.stop()
