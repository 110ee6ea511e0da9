"""confluent-kafka's AdminClient against the broker: create topics (with configs, validate-only,
duplicate and invalid ones), describe configs (a set value and a default), alter a config,
add partitions (and refuse to shrink), delete topics.

confluent-kafka 1.7.0 (Debian) has no incremental_alter_configs, so this uses alter_configs
(AlterConfigs, API 33), which replaces a topic's whole set of overrides: an override not
named again goes back to its default, as Kafka does."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from confluent_kafka import KafkaException, Producer  # noqa: E402
from confluent_kafka.admin import (ConfigResource, ConfigSource, NewPartitions,  # noqa: E402
                                   NewTopic)
from admin import admin_client, wait_for_leaders  # noqa: E402
from interop import bootstrap, check, log, unique_topic  # noqa: E402

TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_CONFIG, UNKNOWN_TOPIC = 36, 37, 40, 3
admin = admin_client()


def error_code(future, timeout=30):
    """The broker's error code for one admin result, 0 when it succeeded."""
    try:
        future.result(timeout=timeout)
        return 0
    except KafkaException as failure:
        return failure.args[0].code()


def topic_names():
    return set(admin.list_topics(timeout=10).topics)


def source(entry):
    """The entry's config source as a ConfigSource (the extension may hand back a plain int)."""
    return ConfigSource(getattr(entry.source, "value", entry.source))


def describe(topic):
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return admin.describe_configs([resource])[resource].result(timeout=30)


topic, other = unique_topic("admin"), unique_topic("admin-other")
never, invalid = unique_topic("admin-validate-only"), unique_topic("admin-invalid")

# Create two topics in one request, one with configs.
futures = admin.create_topics([
    NewTopic(topic, num_partitions=3, replication_factor=1,
             config={"retention.ms": "3600000", "max.message.bytes": "500000"}),
    NewTopic(other, num_partitions=1, replication_factor=1)], operation_timeout=10)
for name, future in futures.items():
    check(error_code(future) == 0, "create %s failed: %s", name, error_code(future))
wait_for_leaders(admin, topic, 3)
wait_for_leaders(admin, other, 1)
log("created %s (3 partitions, 2 configs) and %s", topic, other)

code = error_code(admin.create_topics(
    [NewTopic(topic, num_partitions=1, replication_factor=1)])[topic])
check(code == TOPIC_ALREADY_EXISTS, "second create of %s: error %d, Kafka gives 36", topic, code)

code = error_code(admin.create_topics(
    [NewTopic(invalid, num_partitions=1, replication_factor=1,
              config={"retention.ms": "not-a-number"})])[invalid])
check(code == INVALID_CONFIG, "create with retention.ms=not-a-number: error %d, Kafka gives 40",
      code)

code = error_code(admin.create_topics(
    [NewTopic(never, num_partitions=2, replication_factor=1)], validate_only=True)[never])
check(code == 0, "validate-only create: error %d", code)
names = topic_names()
check(never not in names and invalid not in names,
      "validate-only or invalid topic was created: %s", names & {never, invalid})
log("duplicate -> 36, invalid config -> 40, validate-only creates nothing")

configs = describe(topic)
retention = configs["retention.ms"]
check(retention.value == "3600000" and not retention.is_default
      and source(retention) == ConfigSource.DYNAMIC_TOPIC_CONFIG,
      "retention.ms: value %r default %r source %s", retention.value, retention.is_default,
      source(retention))
check(configs["max.message.bytes"].value == "500000", "max.message.bytes: %r",
      configs["max.message.bytes"].value)
for name, default in [("cleanup.policy", "delete"), ("segment.bytes", "1073741824"),
                      ("min.insync.replicas", "1")]:
    entry = configs.get(name)
    check(entry is not None, "%s missing from DescribeConfigs", name)
    check(entry.value == default and entry.is_default
          and source(entry) == ConfigSource.DEFAULT_CONFIG,
          "%s: value %r default %r source %s; expected %r from DEFAULT_CONFIG",
          name, entry.value, entry.is_default, source(entry), default)
log("describe: retention.ms=3600000 (dynamic topic config), cleanup.policy=delete (default)")

resource = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={"retention.ms": "7200000"})
admin.alter_configs([resource])[resource].result(timeout=30)
configs = describe(topic)
check(configs["retention.ms"].value == "7200000", "after alter, retention.ms=%r",
      configs["retention.ms"].value)
check(configs["max.message.bytes"].value == "1048588" and configs["max.message.bytes"].is_default,
      "after a non-incremental alter without it, max.message.bytes=%r (default %r); "
      "Kafka resets it to the default 1048588", configs["max.message.bytes"].value,
      configs["max.message.bytes"].is_default)
resource = ConfigResource(ConfigResource.Type.TOPIC, topic, set_config={"retention.ms": "soon"})
code = error_code(admin.alter_configs([resource])[resource])
check(code == INVALID_CONFIG, "alter retention.ms=soon: error %d, Kafka gives 40", code)
check(describe(topic)["retention.ms"].value == "7200000", "a refused alter changed the value")
log("alter: retention.ms=7200000 seen; an override not repeated went back to its default")

code = error_code(admin.create_partitions([NewPartitions(topic, 5)])[topic])
check(code == 0, "create_partitions 3 -> 5: error %d", code)
wait_for_leaders(admin, topic, 5)
code = error_code(admin.create_partitions([NewPartitions(topic, 2)])[topic])
check(code == INVALID_PARTITIONS, "create_partitions 5 -> 2: error %d, Kafka gives 37", code)
delivered = []
producer = Producer({"bootstrap.servers": bootstrap(), "acks": "all"})
producer.produce(topic, b"to-a-new-partition", partition=4,
                 on_delivery=lambda error, message: delivered.append((error, message.offset())))
producer.flush(30)
check(delivered == [(None, 0)], "produce to added partition 4: %s", delivered)
log("partitions 3 -> 5 (new partition 4 takes writes), 5 -> 2 refused with 37")

for name, future in admin.delete_topics([topic, other], operation_timeout=10).items():
    check(error_code(future) == 0, "delete %s: error %d", name, error_code(future))
deadline = time.monotonic() + 15
while {topic, other} & topic_names():
    check(time.monotonic() < deadline, "deleted topics still listed: %s",
          {topic, other} & topic_names())
    time.sleep(0.2)
code = error_code(admin.delete_topics([topic])[topic])
check(code == UNKNOWN_TOPIC, "deleting %s again: error %d, Kafka gives 3", topic, code)
log("deleted both topics; deleting again -> 3")
