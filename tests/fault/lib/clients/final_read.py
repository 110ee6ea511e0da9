"""The final read after healing: every partition of a topic from the beginning up to its high watermark (asked of the
leaders at the start of the read), by a fresh confluent-kafka consumer; writes [partition, offset, value] lines and
a last line {"complete": bool, "ends": {partition: high watermark}, "read": {partition: count}}.

    final_read.py BOOTSTRAP TOPIC PARTITIONS HISTORY TIMEOUT_S"""
import json
import sys
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, TopicPartition

bootstrap, topic, partitions, history, timeout = sys.argv[1:6]
partitions, deadline = int(partitions), time.monotonic() + float(timeout)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "fault-final", "enable.auto.commit": False,
                     "auto.offset.reset": "earliest", "check.crcs": True, "socket.timeout.ms": 5000})
ends = {}
while len(ends) < partitions and time.monotonic() < deadline:
    for p in range(partitions):
        if p not in ends:
            try:
                ends[p] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=3)[1]
            except KafkaException:
                pass
out = open(history, "w")
next_offset = {p: 0 for p in range(partitions)}
consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
read = {p: 0 for p in range(partitions)}
while time.monotonic() < deadline and any(next_offset[p] < ends.get(p, 1) for p in range(partitions)):
    for message in consumer.consume(num_messages=1000, timeout=0.5):
        if message.error() is None:
            p = message.partition()
            out.write(json.dumps([p, message.offset(), message.value().decode()]) + "\n")
            read[p] += 1
            next_offset[p] = max(next_offset[p], message.offset() + 1)
complete = len(ends) == partitions and all(next_offset[p] >= ends[p] for p in range(partitions))
out.write(json.dumps({"complete": complete, "ends": ends, "read": read}) + "\n")
out.close()
consumer.close()
