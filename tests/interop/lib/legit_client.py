"""A well-behaved client for the attack tests, in its own process so that it shares no interpreter
with the attackers: a confluent-kafka producer (acks=1, 1 KiB values) and a consumer (assign, from
the beginning) on one topic. Every half second it prints one JSON line of running totals:
{"t": seconds, "acked": n, "consumed": n, "errors": n, "error": last error or null}. It stops on
SIGTERM (or when stdin closes) after a flush, printing a last line.

  legit_client.py BOOTSTRAP TOPIC PARTITIONS [MAX_MSGS_PER_S]

MAX_MSGS_PER_S caps the producer (0: as fast as it goes); a cap keeps what is measured the broker's
service rather than how the CPUs are shared with the attackers on a small machine.
"""
import json
import os
import signal
import sys
import threading
import time

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition

bootstrap, topic, partitions = sys.argv[1], sys.argv[2], int(sys.argv[3])
cap = float(sys.argv[4]) if len(sys.argv) > 4 else 0.0
state = {"acked": 0, "consumed": 0, "errors": 0, "error": None}
lock = threading.Lock()
stopping = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stopping.set())
threading.Thread(target=lambda: (sys.stdin.read(), stopping.set()), daemon=True).start()


def failed(what):
    with lock:
        state["errors"] += 1
        state["error"] = what


def delivered(error, _message):
    if error is None:
        with lock:
            state["acked"] += 1
    else:
        failed("produce: %s" % error)


def consume():
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "legit-unused", "log_level": 4,
                         "enable.auto.commit": False, "fetch.wait.max.ms": 100})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    while not stopping.is_set():
        for message in consumer.consume(num_messages=1000, timeout=0.2):
            if message.error() is None:
                with lock:
                    state["consumed"] += 1
            elif message.error().code() != KafkaError._PARTITION_EOF:
                failed("consume: %s" % message.error())
    consumer.close()


def report(started):
    while not stopping.wait(0.5):
        with lock:
            print(json.dumps(dict(state, t=round(time.monotonic() - started, 3))), flush=True)


producer = Producer({"bootstrap.servers": bootstrap, "acks": 1, "linger.ms": 5, "log_level": 4,
                     "queue.buffering.max.messages": 200000, "on_delivery": delivered})
value = os.urandom(1024)
started = time.monotonic()
threads = [threading.Thread(target=consume, daemon=True), threading.Thread(target=report, args=(started,), daemon=True)]
for thread in threads:
    thread.start()
sent = 0
while not stopping.is_set():
    if cap and sent >= cap * (time.monotonic() - started):
        time.sleep(0.002)
        producer.poll(0)
        continue
    try:
        producer.produce(topic, value=value, partition=sent % partitions)
        sent += 1
    except BufferError:
        producer.poll(0.01)
    if sent % 200 == 0:
        producer.poll(0)
producer.flush(30)
threads[0].join(10)
with lock:
    print(json.dumps(dict(state, t=round(time.monotonic() - started, 3), final=True)), flush=True)
