"""Runs one attack (attacks.py) against a broker of its own while a normal client (legit_client.py)
produces and consumes, and measures what issue 11 asks of the broker:

- it survives, and the normal client sees no error;
- the normal client's throughput during the attack, against its throughput just before (the goal: at
  least half);
- the broker's RSS (VmRSS from /proc/PID/status, sampled every 100 ms): its peak during the attack
  over the baseline measured before it (the goal: no more than the memory budget), and how long after
  the attackers leave it takes to come back near that baseline.

As a module: Siege(...).run() returns a dict of figures; cases/attack.py asserts on them and
bench/reliability/attacks.sh prints them for two builds. As a command (for a long run by hand):

  siege.py DLL WORK_DIR ATTACK [--param NAME=JSON]... [--set name=value]... [--window S] [--cap MSGS_PER_S]
"""
import json
import os
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker, free_port  # noqa: E402
from interop import rss_bytes  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
MIB = 1 << 20


class LegitClient:
    """legit_client.py in its own process; totals read from its JSON lines as they come."""

    def __init__(self, bootstrap, topic, partitions, cap):
        self.process = subprocess.Popen([PYTHON, os.path.join(HERE, "legit_client.py"), bootstrap, topic,
                                         str(partitions), str(cap)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.latest = {"acked": 0, "consumed": 0, "errors": 0, "error": None, "t": 0.0}
        self.lock = threading.Lock()
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        for line in self.process.stdout:
            with self.lock:
                self.latest = json.loads(line)

    def totals(self):
        with self.lock:
            return dict(self.latest)

    def stop(self):
        self.process.send_signal(15)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        return self.totals()


class RssSampler:
    """VmRSS of a process every 100 ms, kept with the time it was read."""

    def __init__(self, pid):
        self.pid, self.samples, self.stopping = pid, [], threading.Event()
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while not self.stopping.wait(0.1):
            try:
                self.samples.append((time.monotonic(), rss_bytes(self.pid)))
            except (OSError, AssertionError):
                return  # the process is gone

    def between(self, start, end):
        return [rss for t, rss in self.samples if start <= t <= end]

    def stop(self):
        self.stopping.set()


def rss_or_none(pid):
    try:
        return rss_bytes(pid)
    except (OSError, AssertionError):
        return None  # the broker is gone


def wait_for(condition, timeout, interval=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


# The normal client's topic keeps at most this much a partition (with log.retention.check.interval.ms
# short enough, which builds before issue 11 refuse): uncapped, it writes over 100 MB a second, which
# over a long attack would fill the disk.
LEGIT_TOPIC_CONFIG = {"retention.bytes": str(64 * MIB), "segment.bytes": str(16 * MIB), "file.delete.delay.ms": "0"}


def create_topic(bootstrap, topic, partitions, config=None):
    from confluent_kafka.admin import AdminClient, NewTopic
    admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 3})
    new_topic = NewTopic(topic, partitions, 1, config=config or {})
    for future in admin.create_topics([new_topic], operation_timeout=10).values():
        future.result(30)


def fill_topic(bootstrap, topic, megabytes, partitions=1):
    """megabytes of 1 KiB records in each partition, for Fetch attacks to ask for."""
    from confluent_kafka import Producer
    producer = Producer({"bootstrap.servers": bootstrap, "acks": 1, "linger.ms": 20, "log_level": 3,
                         "batch.size": 1 << 20})
    value = os.urandom(1024)
    for i in range(megabytes * 1000 * partitions):
        while True:
            try:
                producer.produce(topic, value=value, partition=i % partitions)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 1000 == 0:
            producer.poll(0)
    if producer.flush(60) != 0:
        raise AssertionError("filling %s did not finish" % topic)


class Siege:
    def __init__(self, dll, work_dir, attack, params=None, settings=(), budget_bytes=512 * MIB,
                 warmup=5.0, window=10.0, recover_within=90.0, near_baseline=64 * MIB, cap=0, log=print):
        self.dll, self.work_dir, self.attack = dll, work_dir, attack
        self.params, self.settings = dict(params or {}), list(settings)
        self.budget, self.warmup, self.window = budget_bytes, warmup, window
        self.recover_within, self.near_baseline, self.cap, self.log = recover_within, near_baseline, cap, log

    def run(self):
        os.makedirs(self.work_dir, exist_ok=True)
        port = free_port()
        broker = Broker(self.dll, os.path.join(self.work_dir, "data"), port,
                        os.path.join(self.work_dir, "broker.log"), self.settings).start()
        attacker = legit = sampler = None
        figures = {"attack": self.attack}
        try:
            pid = broker.process.pid
            create_topic(broker.bootstrap, "legit", 2, LEGIT_TOPIC_CONFIG)
            if self.attack in ("slow-readers", "fetch-flood"):
                partitions = self.params.get("partitions", 1)
                create_topic(broker.bootstrap, "fetched", partitions)
                fill_topic(broker.bootstrap, "fetched", self.params.pop("fill_mb", 40), partitions)
                self.params["topic"] = "fetched"
            sampler = RssSampler(pid)
            legit = LegitClient(broker.bootstrap, "legit", 2, self.cap)
            if not wait_for(lambda: legit.totals()["consumed"] > 0, 60):
                raise AssertionError("the normal client did not get going: %s" % legit.totals())
            time.sleep(self.warmup)  # steady state: JIT, pools, page cache

            before_start, before = time.monotonic(), legit.totals()
            time.sleep(self.window)
            before_end, before_after = time.monotonic(), legit.totals()
            baseline = sorted(sampler.between(before_start, before_end))
            figures["rss_baseline_mib"] = round(baseline[len(baseline) // 2] / MIB)

            attacker = subprocess.Popen([PYTHON, os.path.join(HERE, "attacks.py"), self.attack, broker.bootstrap,
                                         json.dumps(self.params)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            attack_start = time.monotonic()
            ready = attacker.stdout.readline().strip()
            if ready != "ready" and not broker.alive():
                # The attack killed the broker while it was being set up: that is the finding.
                figures.update(broker_alive=False, attack_stats={"setup": "the broker died"},
                               rss_peak_mib=round(max(sampler.between(attack_start, time.monotonic()) or [0]) / MIB))
                return figures
            if ready != "ready":
                raise AssertionError("the attack did not start: %r (exit %s)" % (ready, attacker.wait(10)))
            figures["attack_setup_s"] = round(time.monotonic() - attack_start, 1)
            during_start, during = time.monotonic(), legit.totals()
            seconds = []  # the normal client's acknowledged messages in each second of the attack
            last = during
            while time.monotonic() < during_start + self.window:
                time.sleep(1.0)
                now = legit.totals()
                seconds.append(now["acked"] - last["acked"])
                last = now
            during_end, during_after = time.monotonic(), legit.totals()
            figures["acked_slowest_second"] = min(seconds) if seconds else None
            attacker.send_signal(15)
            attack_out, _ = attacker.communicate(timeout=120)
            attack_end = time.monotonic()
            figures["attack_stats"] = json.loads(attack_out.strip().splitlines()[-1])

            def rate(a, b, seconds, key):
                return (b[key] - a[key]) / seconds
            for key in ("acked", "consumed"):
                figures["%s_per_s_before" % key] = round(rate(before, before_after, before_end - before_start, key))
                figures["%s_per_s_during" % key] = round(rate(during, during_after, during_end - during_start, key))
            target = baseline[len(baseline) // 2] + self.near_baseline
            recovered = broker.alive() and wait_for(lambda: (rss_or_none(pid) or 0) <= target, self.recover_within, 0.5)
            figures["rss_after_mib"] = round((rss_or_none(pid) or 0) / MIB)
            figures["recovered_s"] = round(time.monotonic() - attack_end, 1) if recovered and broker.alive() else None
            # The peak from the attack's start until RSS is back: what the attackers leave behind counts too.
            peak = max(sampler.between(attack_start, time.monotonic()) or [0])
            figures["rss_peak_mib"] = round(peak / MIB)
            figures["rss_over_baseline_mib"] = round((peak - baseline[len(baseline) // 2]) / MIB)
            figures["budget_mib"] = round(self.budget / MIB)
            figures["broker_alive"] = broker.alive()
            final = legit.stop()
            legit = None
            figures["legit_errors"] = final["errors"]
            figures["legit_last_error"] = final["error"]
            return figures
        finally:
            if attacker is not None and attacker.poll() is None:
                attacker.kill()
            if legit is not None:
                legit.stop()
            if sampler is not None:
                sampler.stop()
            if broker.alive():
                broker.stop()


def main(args):
    dll, work_dir, attack = args[0], args[1], args[2]
    params, settings, window, cap = {}, [], 30.0, 0
    i = 3
    while i < len(args):
        if args[i] == "--param":
            name, _, value = args[i + 1].partition("=")
            params[name] = json.loads(value)
        elif args[i] == "--set":
            settings.append(args[i + 1])
        elif args[i] == "--window":
            window = float(args[i + 1])
        elif args[i] == "--cap":
            cap = float(args[i + 1])
        else:
            sys.exit(__doc__)
        i += 2
    budget = next((int(s.split("=", 1)[1]) for s in settings if s.startswith("memory.budget.bytes=")), 512 * MIB)
    print(json.dumps(Siege(dll, work_dir, attack, params, settings, budget, window=window, cap=cap).run()))


if __name__ == "__main__":
    main(sys.argv[1:])
