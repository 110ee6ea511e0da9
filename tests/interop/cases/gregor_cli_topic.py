"""`gregor topic ...`, `gregor offsets` and `gregor cluster info` against what confluent-kafka's
AdminClient and Consumer see. A topic created by gregor (2 partitions, two configs) is listed by
confluent with those partitions and described with those configs as dynamic topic configs; gregor's
describe shows the same leaders, replicas and ISR as confluent's metadata; `topic alter` sets one
config and returns another to its default; `add-partitions` grows it to 4; `offsets` matches
confluent's watermarks; `topic list` matches confluent's topic list; `cluster info` has confluent's
cluster id, controller and brokers; after `topic delete` confluent no longer lists the topic."""
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import admin_client, wait_for_leaders  # noqa: E402
from interop import bootstrap, check, gregor, log, unique_topic  # noqa: E402
from confluent_kafka import Consumer, Producer, TopicPartition  # noqa: E402
from confluent_kafka.admin import ConfigResource, ConfigSource  # noqa: E402

topic = unique_topic("gregor-cli-topic")
admin = admin_client()


def confluent_configs():
    resource = ConfigResource(ConfigResource.Type.TOPIC, topic)
    return admin.describe_configs([resource])[resource].result(timeout=30)


gregor("topic", "create", topic, "--partitions", "2", "--config", "retention.ms=123456", "--config", "cleanup.policy=compact")
wait_for_leaders(admin, topic, 2)
configs = confluent_configs()
check(configs["retention.ms"].value == "123456", "confluent sees retention.ms=%s", configs["retention.ms"].value)
source = ConfigSource(getattr(configs["retention.ms"].source, "value", configs["retention.ms"].source))  # an enum or a plain int
check(source == ConfigSource.DYNAMIC_TOPIC_CONFIG, "retention.ms source %s", source)
check(configs["cleanup.policy"].value == "compact", "confluent sees cleanup.policy=%s", configs["cleanup.policy"].value)

described = gregor("topic", "describe", topic, "--output", "json")
metadata = admin.list_topics(topic=topic, timeout=10).topics[topic]
check(described["partitionCount"] == len(metadata.partitions) == 2, "partitions: gregor %d, confluent %d",
      described["partitionCount"], len(metadata.partitions))
for row in described["partitions"]:
    theirs = metadata.partitions[row["partition"]]
    check((row["leader"], row["replicas"], row["isr"]) == (theirs.leader, list(theirs.replicas), list(theirs.isrs)),
          "partition %d: gregor %s, confluent %s", row["partition"], (row["leader"], row["replicas"], row["isr"]),
          (theirs.leader, theirs.replicas, theirs.isrs))
check(described["configs"] == {"retention.ms": "123456", "cleanup.policy": "compact"}, "gregor's non-default configs: %s", described["configs"])

gregor("topic", "alter", topic, "--config", "retention.ms=999000", "--delete-config", "cleanup.policy")
configs = confluent_configs()
check(configs["retention.ms"].value == "999000", "after alter confluent sees retention.ms=%s", configs["retention.ms"].value)
check(configs["cleanup.policy"].is_default and configs["cleanup.policy"].value == "delete",
      "after --delete-config cleanup.policy is %s (default: %s)", configs["cleanup.policy"].value, configs["cleanup.policy"].is_default)

gregor("topic", "add-partitions", topic, "--partitions", "4")
wait_for_leaders(admin, topic, 4)
_, refused = gregor("topic", "add-partitions", topic, "--partitions", "3", expect_exit=1)
check(refused.startswith("gregor topic add-partitions: "), "shrinking said: %s", refused)

producer = Producer({"bootstrap.servers": bootstrap()})
for i in range(5):
    producer.produce(topic, value=b"x%d" % i, partition=3)
producer.flush(30)
offsets = gregor("offsets", topic, "--output", "json")
probe = Consumer({"bootstrap.servers": bootstrap(), "group.id": topic + "-probe"})
for row in offsets:
    low, high = probe.get_watermark_offsets(TopicPartition(topic, row["partition"]), timeout=10)
    check((row["earliest"], row["latest"]) == (low, high), "partition %d: gregor %s, confluent %s",
          row["partition"], (row["earliest"], row["latest"]), (low, high))
probe.close()
check([r["latest"] for r in offsets] == [0, 0, 0, 5], "log ends %s", [r["latest"] for r in offsets])

cluster = admin.list_topics(timeout=10)
listed = gregor("topic", "list", "--output", "json")
check(set(listed) == set(cluster.topics), "gregor lists %s, confluent %s", sorted(listed), sorted(cluster.topics))
check(topic in gregor("topic", "list", "--exclude-internal", "--output", "json"), "topic missing with --exclude-internal")
info = gregor("cluster", "info", "--output", "json")
check(info["clusterId"] == cluster.cluster_id, "cluster id: gregor %s, confluent %s", info["clusterId"], cluster.cluster_id)
check(info["controllerId"] == cluster.controller_id, "controller: gregor %s, confluent %s", info["controllerId"], cluster.controller_id)
check(sorted((b["id"], b["host"], b["port"]) for b in info["brokers"]) == sorted((b.id, b.host, b.port) for b in cluster.brokers.values()),
      "brokers: gregor %s, confluent %s", info["brokers"], cluster.brokers)

# librdkafka clients that know the topic (the producer; the admin client, which asked for it by name)
# keep refreshing its metadata as producers, allowing auto-creation, and the broker
# (auto.create.topics.enable=true) would create it again after the delete: destroy them first.
del producer, admin
gregor("topic", "delete", topic)
admin = admin_client()
deadline = time.time() + 15
while topic in admin.list_topics(timeout=10).topics:
    check(time.time() < deadline, "confluent still lists %s after gregor deleted it", topic)
    time.sleep(0.2)
_, missing = gregor("topic", "describe", topic, expect_exit=1)
check("does not exist" in missing, "describe after delete said: %s", missing)
log("gregor topic create/describe/alter/add-partitions/delete, offsets, list and cluster info agree with confluent-kafka")
