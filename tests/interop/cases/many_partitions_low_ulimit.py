"""Many partitions on a broker whose open-file limit is far below them: a broker of its own started with
`prlimit --nofile=1024:1024` (and max.broker.partitions=3100) gets 3,000 partitions through CreateTopics -
three descriptors a partition would need 9,000. Every partition is created, one record produced into each
is acknowledged and read back by a consumer, and the broker never holds as many as 1,024 descriptors.
A topic that would pass max.broker.partitions is refused whole with POLICY_VIOLATION (44) naming the
limit, and the broker keeps serving. Then the broker is stopped with SIGTERM and started again under the
same limit, later killed with SIGKILL and started again: each time it answers within a bounded time, serves
all 3,000 partitions with their records, and takes new ones."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402
from broker import Broker, free_port  # noqa: E402
from interop import check, env, log, process_alive, scratch  # noqa: E402

LIMIT, TOPICS, PER_TOPIC, MAX_PARTITIONS = 1024, 3, 1000, 3100
RESTART_SECONDS = 60
broker = Broker(env("GREGOR_DLL"), scratch("low-ulimit-data"), free_port(), scratch("low-ulimit-broker.log"),
                extra_settings=["max.broker.partitions=%d" % MAX_PARTITIONS],
                command_prefix=["prlimit", "--nofile=%d:%d" % (LIMIT, LIMIT), "--"])
topics = ["many-%d" % t for t in range(TOPICS)]
most_descriptors = 0


def descriptors():
    """The broker's open descriptors now; also checks its limit is the one it was started with."""
    global most_descriptors
    pid = broker.process.pid
    with open("/proc/%d/limits" % pid) as limits:
        line = next(line for line in limits if line.startswith("Max open files"))
    check(line.split()[3:5] == [str(LIMIT), str(LIMIT)], "broker limit is not %d: %s", LIMIT, line.strip())
    count = len(os.listdir("/proc/%d/fd" % pid))
    most_descriptors = max(most_descriptors, count)
    return count


def produce_to_all(value):
    failed = []
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 20,
                         "on_delivery": lambda error, _m: failed.append(error) if error else None})
    for topic in topics:
        for partition in range(PER_TOPIC):
            producer.produce(topic, value=b"%s %s-%d" % (value, topic.encode(), partition), partition=partition)
        producer.poll(0)
        descriptors()
    check(producer.flush(120) == 0, "records not delivered")
    check(not failed, "%d deliveries failed, first %s", len(failed), failed[:1])


def read_all(offset, value):
    """Reads offset `offset` of every partition and checks it holds the record produced with `value`."""
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "unused", "enable.auto.commit": False,
                         "check.crcs": True, "fetch.wait.max.ms": 100})
    consumer.assign([TopicPartition(topic, partition, offset) for topic in topics for partition in range(PER_TOPIC)])
    seen = {}
    deadline = time.monotonic() + 120
    while len(seen) < TOPICS * PER_TOPIC and time.monotonic() < deadline:
        message = consumer.poll(1.0)
        if message is None or (message.error() and message.error().code() == KafkaError._PARTITION_EOF):
            descriptors()
            continue
        check(message.error() is None, "consume error %s", message.error())
        if message.offset() == offset:
            seen[(message.topic(), message.partition())] = message.value()
    consumer.close()
    check(len(seen) == TOPICS * PER_TOPIC, "read %d of %d partitions at offset %d", len(seen), TOPICS * PER_TOPIC, offset)
    for (topic, partition), got in seen.items():
        expected = b"%s %s-%d" % (value, topic.encode(), partition)
        check(got == expected, "%s-%d offset %d holds %r, expected %r", topic, partition, offset, got, expected)


def restart(how):
    began = time.monotonic()
    if how == "kill":
        broker.kill()
    else:
        broker.stop(timeout=RESTART_SECONDS)
    stopped = time.monotonic()
    broker.start()
    answered = time.monotonic()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    while True:
        metadata = admin.list_topics(timeout=30)
        served = sum(1 for t in topics if t in metadata.topics
                     for p in metadata.topics[t].partitions.values() if p.leader >= 0)
        if served == TOPICS * PER_TOPIC:
            break
        check(time.monotonic() - answered < RESTART_SECONDS, "only %d partitions served %ds after the restart", served, RESTART_SECONDS)
        time.sleep(0.5)
    log("%s: stopped in %.1fs, answering %.1fs and serving every partition %.1fs after start; %d descriptors",
        how, stopped - began, answered - stopped, time.monotonic() - stopped, descriptors())
    return admin


try:
    broker.start()
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    started = time.monotonic()
    futures = admin.create_topics([NewTopic(t, num_partitions=PER_TOPIC, replication_factor=1) for t in topics],
                                  operation_timeout=300, request_timeout=300)
    for topic, future in futures.items():
        future.result()
    log("created %d partitions in %.1fs; %d descriptors open", TOPICS * PER_TOPIC, time.monotonic() - started, descriptors())

    produce_to_all(b"first")
    read_all(0, b"first")
    log("one record in each partition produced and read back; at most %d descriptors so far", most_descriptors)

    # Past max.broker.partitions: refused whole, nothing of it created, the broker goes on serving.
    refused = admin.create_topics([NewTopic("too-many", num_partitions=MAX_PARTITIONS, replication_factor=1)],
                                  operation_timeout=60)["too-many"]
    try:
        refused.result()
        check(False, "a topic past max.broker.partitions was created")
    except KafkaException as error:
        code, message = error.args[0].code(), error.args[0].str()
        check(code == KafkaError.POLICY_VIOLATION, "refused with %s, expected POLICY_VIOLATION: %s", code, message)
        check("max.broker.partitions=%d" % MAX_PARTITIONS in message, "the refusal does not name the limit: %s", message)
        log("refused as expected: %s", message)
    check("too-many" not in admin.list_topics(timeout=30).topics, "the refused topic exists")
    check(not any(name.startswith("too-many") for name in os.listdir(broker.data_dir)), "the refused topic has log directories")

    admin = restart("stop")
    read_all(0, b"first")
    produce_to_all(b"second")
    admin = restart("kill")
    read_all(0, b"first")
    read_all(1, b"second")
    check(process_alive(broker.process.pid), "the broker died")
    check(most_descriptors < LIMIT, "the broker held %d descriptors, its limit is %d", most_descriptors, LIMIT)
    log("at most %d of %d descriptors held with %d partitions", most_descriptors, LIMIT, TOPICS * PER_TOPIC)
finally:
    if broker.alive():
        broker.stop()
