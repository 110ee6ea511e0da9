"""A confluent-kafka consumer reading every partition of a topic from the beginning (assign(), no group) until the
stop file appears, recording each record read as a JSON line [partition, offset, value]. One process is one
consumer session (the checker looks for offsets going backwards within it).

    py_consumer.py BOOTSTRAP TOPIC PARTITIONS HISTORY STOP_FILE"""
import json
import os
import sys

from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

bootstrap, topic, partitions, history, stop_file = sys.argv[1:6]
out = open(history, "a", buffering=1)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "fault-unused", "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "fetch.wait.max.ms": 100, "check.crcs": True,
                     "topic.metadata.refresh.interval.ms": 1000, "socket.timeout.ms": 5000})
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(int(partitions))])
while not os.path.exists(stop_file):
    for message in consumer.consume(num_messages=500, timeout=0.2):
        if message.error() is None:
            out.write(json.dumps([message.partition(), message.offset(), message.value().decode()]) + "\n")
consumer.close()
out.close()
