"""A confluent-kafka (librdkafka) producer writing unique values "<name>-<n>" with acks=all until the stop file
appears, recording every attempt and its outcome as JSON lines: {"f": "invoke", "v"}, then {"f": "ok", "v", "p", "o"}
or {"f": "fail", "v", "e"}; an attempt with neither outcome is indeterminate.

    py_producer.py BOOTSTRAP TOPIC NAME HISTORY STOP_FILE RATE IDEMPOTENT(0|1)

Without idempotence retries are off: a retried batch whose first answer was lost is a duplicate the client made, not
one the broker made, and the checker must see only the broker's. With idempotence librdkafka retries, as it must."""
import json
import os
import sys
import time

from confluent_kafka import Producer

bootstrap, topic, name, history, stop_file, rate, idempotent = sys.argv[1:8]
rate, idempotent = float(rate), idempotent == "1"
out = open(history, "a", buffering=1)


def record(event):
    out.write(json.dumps(event) + "\n")


def delivered(err, msg):
    value = msg.value().decode()
    if err is None:
        record({"f": "ok", "v": value, "p": msg.partition(), "o": msg.offset()})
    else:
        record({"f": "fail", "v": value, "e": str(err)})


config = {"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 2, "message.timeout.ms": 60000,
          "request.timeout.ms": 5000, "socket.timeout.ms": 5000, "metadata.max.age.ms": 2000,
          "topic.metadata.refresh.interval.ms": 1000, "on_delivery": delivered}
if idempotent:
    config["enable.idempotence"] = True
else:
    config["message.send.max.retries"] = 0
producer = Producer(config)
n = 0
next_at = time.monotonic()
while not os.path.exists(stop_file):
    value = "%s-%d" % (name, n)
    n += 1
    record({"f": "invoke", "v": value})
    while True:
        try:
            producer.produce(topic, value=value.encode())
            break
        except BufferError:
            producer.poll(0.05)
    next_at += 1.0 / rate
    producer.poll(max(0.0, next_at - time.monotonic()))
left = producer.flush(15)
record({"f": "end", "unresolved": left})
out.close()
