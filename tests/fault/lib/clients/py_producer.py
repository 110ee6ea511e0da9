"""A confluent-kafka (librdkafka) producer writing unique values "<name>-<n>" with acks=all until the stop file
appears, recording every attempt and its outcome as JSON lines: {"f": "invoke", "v"}, then {"f": "ok", "v", "p", "o"}
or {"f": "fail", "v", "e"}; an attempt with neither outcome is indeterminate.

    py_producer.py BOOTSTRAP TOPIC NAME HISTORY STOP_FILE RATE IDEMPOTENT(0|1)

Without idempotence retries are off: a retried batch whose first answer was lost is a duplicate the client made, not
one the broker made, and the checker must see only the broker's. With idempotence librdkafka retries, as it must.

librdkafka before 2.3.0 (Debian's is 2.0.2) has a known bug, confluentinc/librdkafka#4438: after a "possibly
persisted" error (a request timeout, a disconnection) it counts the batch as acknowledged, and when that batch was not
written and the next is refused OUT_OF_ORDER_SEQUENCE_NUMBER, as any Kafka broker refuses it, it raises a fatal
"sequence desynchronization" (or "rewound sequence number") error. On exactly that error from such a version the
producer records a "restart" line and goes on with a new producer (a new producer id) and new values: the old one's
unacknowledged values stay failed or indeterminate for the checker, and none is sent again. Any other fatal error
ends the process, which the harness reports."""
import json
import os
import sys
import time

import confluent_kafka
from confluent_kafka import KafkaException, Producer

KNOWN_BUG = ("sequence desynchronization", "rewound sequence number")
OLD_LIBRDKAFKA = confluent_kafka.libversion()[1] < 0x02030000

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


def known_bug(error):
    """librdkafka#4438's fatal error, from a librdkafka that has the bug."""
    err = error.args[0] if error.args else None
    return (OLD_LIBRDKAFKA and err is not None and err.fatal()
            and any(text in err.str() for text in KNOWN_BUG))


producer = Producer(config)
n = 0
next_at = time.monotonic()
while not os.path.exists(stop_file):
    try:
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
    except KafkaException as e:
        if not known_bug(e):
            raise
        record({"f": "restart", "e": str(e)})
        print("restarting the producer after librdkafka#4438 (librdkafka %s): %s" % (confluent_kafka.libversion()[0], e),
              file=sys.stderr, flush=True)
        try:
            producer.flush(5)  # serves the failed messages' delivery reports; a fatal producer sends nothing more
        except KafkaException:
            pass
        producer = Producer(config)
        next_at = time.monotonic()
left = producer.flush(15)
record({"f": "end", "unresolved": left})
out.close()
