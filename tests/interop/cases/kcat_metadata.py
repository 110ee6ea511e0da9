"""kcat -L lists the broker (id and the address it listens on) and a topic created through
the admin API, with every partition led by that broker and in sync."""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from admin import create_topic  # noqa: E402
from interop import bootstrap, check, log, run, unique_topic  # noqa: E402

topic = unique_topic("kcat-metadata")
create_topic(topic, 4)

result, _ = run(["kcat", "-L", "-b", bootstrap(), "-m", "10"])
listing = result.stdout.decode()
log("kcat -L:\n%s", "\n".join(line for line in listing.splitlines()
                               if "__" not in line)[:3000])

brokers = re.findall(r"^\s*broker (\d+) at ([^\s]+)", listing, re.M)
check(len(brokers) == 1, "expected one broker, kcat saw %r", brokers)
broker_id, address = brokers[0]
check(address == bootstrap(), "broker advertised at %s, listening at %s", address, bootstrap())

match = re.search(r'^\s*topic "%s" with (\d+) partitions:\n((?:\s+partition .*\n?)*)'
                  % re.escape(topic), listing, re.M)
check(match is not None, "topic %s missing from kcat -L", topic)
check(match.group(1) == "4", "topic %s has %s partitions, expected 4", topic, match.group(1))
partitions = re.findall(r"partition (\d+), leader (-?\d+), replicas: ([\d,]+), isrs: ([\d,]+)",
                        match.group(2))
check(sorted(int(p[0]) for p in partitions) == [0, 1, 2, 3], "partition lines: %r", partitions)
for partition, leader, replicas, isrs in partitions:
    check(leader == broker_id and replicas == broker_id and isrs == broker_id,
          "partition %s: leader %s replicas %s isrs %s, broker is %s",
          partition, leader, replicas, isrs, broker_id)

# Asking for the one topic lists just it.
result, _ = run(["kcat", "-L", "-b", bootstrap(), "-m", "10", "-t", topic])
single = result.stdout.decode()
check(re.findall(r'topic "([^"]+)"', single) == [topic], "kcat -L -t %s listed: %s", topic, single)
log("broker %s at %s; topic %s with 4 partitions, all led by it", broker_id, address, topic)
