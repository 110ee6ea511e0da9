"""A confluent-kafka (librdkafka) consumer for the mixed-group tests: joins GROUP on TOPIC with the
given partition.assignment.strategy and prints its assignment (partition numbers) as one JSON line
whenever it changes. Stops, closing the consumer, when a line arrives on stdin or stdin closes."""
import json
import select
import sys
import time

from confluent_kafka import Consumer

bootstrap, group, topic, strategy = sys.argv[1:5]
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "partition.assignment.strategy": strategy,
    "session.timeout.ms": 6000,
    "heartbeat.interval.ms": 300,
    "enable.auto.commit": False,
    "auto.offset.reset": "earliest",
})
consumer.subscribe([topic])
last = None
deadline = time.time() + 120
while time.time() < deadline:
    message = consumer.poll(0.05)
    if message is not None and message.error():
        print(json.dumps({"error": str(message.error())}), flush=True)
    assignment = sorted(p.partition for p in consumer.assignment() if p.topic == topic)
    if assignment != last:
        print(json.dumps({"assignment": assignment}), flush=True)
        last = assignment
    if select.select([sys.stdin], [], [], 0)[0]:
        break
consumer.close()
print(json.dumps({"closed": True}), flush=True)
