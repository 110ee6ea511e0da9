"""One run of bench/e2e/many-partitions.sh: a broker build, a partition count.

  many_partitions.py DLL PARTITIONS WORKDIR [--per-topic N] [--nofile N] [--label TEXT]

Starts the broker on an empty data dir, creates PARTITIONS partitions through CreateTopics (topics of
--per-topic partitions, up to 10,000 partitions a request), writes one record into each partition, stops it
with SIGTERM and starts it again on the same data dir. Prints one JSON line of what it measured:

  created / refused / errors   partitions CreateTopics reported created, refused (first messages kept)
  logs_created / logs_failed   partition logs the broker created / failed to open in its first run
  create_s                     seconds for the CreateTopics requests (logs are created before the answer)
  produce_s                    seconds to write one record per partition (acks=1, librdkafka)
  rss_mib / fds / maps         the broker's VmRSS, open descriptors and memory mappings after that
  stop_s                       SIGTERM to exit
  start_answer_s               exec to the first ApiVersions answer on restart
  start_ready_s                exec to a Metadata answer listing every created partition with a leader
  loaded_logs / loaded_ms      the restarted broker's own "Loaded N partition logs ... in X ms" line (logs opened)
  first_run_ended / restart_ended   when the broker died: the last lines it logged
  rss_after_start_mib          VmRSS once ready, and again 10 s later (settled)
  alive                        whether the broker was still running at each step
The broker's log is kept in WORKDIR.
"""
import argparse
import concurrent.futures
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "interop", "lib"))
import kafka_wire  # noqa: E402
from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

PARTITIONS_PER_REQUEST = 10_000
READY_TIMEOUT_S = 900
STOP_TIMEOUT_S = 600


def free_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def proc_figures(pid):
    try:
        with open("/proc/%d/status" % pid) as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024
        fds = len(os.listdir("/proc/%d/fd" % pid))
        with open("/proc/%d/maps" % pid) as maps:
            mappings = sum(1 for _ in maps)
        return round(rss, 1), fds, mappings
    except (OSError, StopIteration):
        return None, None, None


class Broker:
    def __init__(self, dll, data, port, log_path, nofile):
        self.command = ["dotnet", dll, "server", "--set", "log.dirs=" + data,
                        "--set", "listeners=PLAINTEXT://127.0.0.1:%d" % port]
        if nofile:
            self.command = ["prlimit", "--nofile=%d:%d" % (nofile, nofile), "--"] + self.command
        self.bootstrap = "127.0.0.1:%d" % port
        self.log_path = log_path
        self.process = None

    def start(self):
        """Starts it; returns seconds to the first ApiVersions answer, or None if it died or never answered."""
        log = open(self.log_path, "ab")
        log.write(("--- %s\n" % " ".join(self.command)).encode())
        log.flush()
        started = time.monotonic()
        self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self.started = started
        while time.monotonic() - started < READY_TIMEOUT_S:
            if self.process.poll() is not None:
                return None
            if kafka_wire.api_versions_ok(self.bootstrap, timeout=1.0):
                return time.monotonic() - started
            time.sleep(0.05)
        return None

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def stop(self):
        """SIGTERM; returns seconds to exit, or None if it had to be killed after STOP_TIMEOUT_S."""
        if not self.alive():
            return None
        began = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
            return time.monotonic() - began
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return None


def create(admin, broker, partitions, per_topic, result):
    names = []
    created = 0
    errors = {}
    began = time.monotonic()
    topics_per_request = max(1, PARTITIONS_PER_REQUEST // per_topic)
    index = 0
    while created + sum(errors.values()) < partitions and broker.alive():
        batch = []
        while len(batch) < topics_per_request and (created + sum(errors.values()) + len(batch) * per_topic) < partitions:
            count = min(per_topic, partitions - created - sum(errors.values()) - len(batch) * per_topic)
            batch.append(NewTopic("many-%06d" % index, num_partitions=count, replication_factor=1))
            index += 1
        futures = admin.create_topics(batch, operation_timeout=READY_TIMEOUT_S, request_timeout=READY_TIMEOUT_S)
        for topic in batch:
            try:
                # Polled, so a broker that died is noticed at once rather than after the request timeout.
                while True:
                    try:
                        futures[topic.topic].result(timeout=1)
                        break
                    except concurrent.futures.TimeoutError:
                        if not broker.alive():
                            raise RuntimeError("the broker died (exit %s)" % broker.process.returncode)
                created += topic.num_partitions
                names.append((topic.topic, topic.num_partitions))
            except Exception as error:  # noqa: BLE001 - a failed topic is a result here, not a crash
                message = str(error)[:300]
                errors[message] = errors.get(message, 0) + topic.num_partitions
    result["create_s"] = round(time.monotonic() - began, 2)
    result["created"] = created
    result["refused"] = sum(errors.values())
    result["errors"] = sorted(errors.items(), key=lambda e: -e[1])[:3]
    return names


def produce(broker, names, result):
    """One record into every partition; stops waiting for acknowledgements if the broker dies."""
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "1", "linger.ms": 50,
                         "queue.buffering.max.messages": 2_000_000, "message.timeout.ms": 600_000})
    failed = []
    began = time.monotonic()
    for topic, count in names:
        for partition in range(count):
            producer.produce(topic, value=b"x" * 100, partition=partition,
                             on_delivery=lambda error, _m: failed.append(error) if error else None)
        producer.poll(0)
    left = producer.flush(1)
    while left > 0 and broker.alive() and time.monotonic() - began < READY_TIMEOUT_S:
        left = producer.flush(1)
    result["produce_s"] = round(time.monotonic() - began, 2)
    result["produce_failed"] = len(failed) + left
    if not broker.alive():
        result["exit_code_in_produce"] = broker.process.returncode


def wait_ready(admin, broker, names, result):
    """Seconds from exec until Metadata lists every created partition with a leader (or None)."""
    wanted = sum(count for _, count in names)
    while time.monotonic() - broker.started < READY_TIMEOUT_S and broker.alive():
        try:
            metadata = admin.list_topics(timeout=60)
            served = sum(1 for topic in metadata.topics.values() if topic.error is None
                         for p in topic.partitions.values() if p.error is None and p.leader >= 0)
            result["served_after_start"] = served
            if served >= wanted:
                return round(time.monotonic() - broker.started, 2)
        except Exception as error:  # noqa: BLE001
            result["ready_error"] = str(error)[:200]
        time.sleep(0.5)
    return None


def runs(log_path):
    """The broker's log, split at the line this script writes before each start."""
    with open(log_path, errors="replace") as log:
        return ("\n" + log.read()).split("\n--- ")[1:]


def loaded(run):
    """The broker's own "Loaded N partition logs ... in X ms" line of one run, as (N, X), or (None, None)."""
    found = re.findall(r"Loaded (\d+) partition logs \(\d+ bytes\) from .* in (\d+) ms", run)
    return (int(found[-1][0]), int(found[-1][1])) if found else (None, None)


def last_lines(run, count=3):
    """The last lines of a run that are not per-log chatter: why a broker stopped, when it did."""
    kept = [line[:300] for line in run.splitlines() if not re.search(r"Created log|Could not open log|Recovered log", line)]
    return kept[-count:]


def main():
    # A SIGTERM (the calling script stopping) unwinds through the finally below, which stops the broker.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    parser = argparse.ArgumentParser()
    parser.add_argument("dll")
    parser.add_argument("partitions", type=int)
    parser.add_argument("workdir")
    parser.add_argument("--per-topic", type=int, default=1000)
    parser.add_argument("--nofile", type=int, default=0)
    parser.add_argument("--label", default="")
    parser.add_argument("--no-produce", action="store_true")
    args = parser.parse_args()

    os.makedirs(args.workdir, exist_ok=True)
    log_path = os.path.join(args.workdir, "broker.log")
    broker = Broker(args.dll, os.path.join(args.workdir, "data"), free_port(), log_path, args.nofile)
    result = {"label": args.label, "partitions": args.partitions}
    try:
        result["first_answer_s"] = broker.start()
        if result["first_answer_s"] is None:
            result["alive"] = "never started"
            return
        admin = AdminClient({"bootstrap.servers": broker.bootstrap, "socket.timeout.ms": 300_000})
        names = create(admin, broker, args.partitions, args.per_topic, result)
        result["alive_after_create"] = broker.alive()
        if not broker.alive():
            result["exit_code_in_create"] = broker.process.returncode
        if broker.alive() and names and not args.no_produce:
            produce(broker, names, result)
        result["rss_mib"], result["fds"], result["maps"] = proc_figures(broker.process.pid)
        result["alive_before_stop"] = broker.alive()
        result["stop_s"] = broker.stop()
        result["start_answer_s"] = broker.start()
        if result["start_answer_s"] is not None:
            result["start_ready_s"] = wait_ready(admin, broker, names, result)
            result["rss_after_start_mib"], result["fds_after_start"], result["maps_after_start"] = proc_figures(broker.process.pid)
            time.sleep(10)
            result["rss_settled_mib"], _, _ = proc_figures(broker.process.pid)
        result["alive_at_end"] = broker.alive()
        result["stop_again_s"] = broker.stop()
    finally:
        if broker.alive():
            broker.process.kill()
            broker.process.wait()
        if os.path.exists(log_path):
            started = runs(log_path)
            # What the first run really made: CreateTopics may answer before (or without) a log.
            result["logs_created"] = started[0].count("Created log") if started else None
            result["logs_failed"] = started[0].count("Could not open log") if started else None
            if len(started) > 1:
                result["loaded_logs"], result["loaded_ms"] = loaded(started[1])
            if started and (not result.get("alive_before_stop", True) or not result.get("alive_at_end", True)):
                result["first_run_ended"] = last_lines(started[0])
                result["restart_ended"] = last_lines(started[1]) if len(started) > 1 else None
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
