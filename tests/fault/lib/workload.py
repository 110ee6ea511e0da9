"""The queue workload: producer processes of each client kind writing unique values with acks=all, consumer
processes reading continuously from the beginning, and after healing one full read; then the checker. Clients run on
the host and reach the nodes at their namespace addresses (net.py). Histories are JSON-lines files in the run's
work directory, so a run can be checked again afterwards (run.py --check DIR)."""
import json
import os
import subprocess
import sys
import time

import checker

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3"
DOTNET_CLIENT = os.path.join(HERE, "..", "dotnet", "FaultProducer", "bin", "Release", "net10.0", "FaultProducer.dll")


def producer_command(kind, bootstrap, topic, name, history, stop_file, rate, idempotent):
    if kind == "python":
        return [PYTHON, os.path.join(HERE, "clients", "py_producer.py"), bootstrap, topic, name, history, stop_file,
                str(rate), "1" if idempotent else "0"]
    if kind in ("confluent-dotnet", "gregor-client"):
        return ["dotnet", DOTNET_CLIENT, "confluent" if kind == "confluent-dotnet" else "gregor", bootstrap, topic,
                name, history, stop_file, str(rate), "1" if idempotent else "0"]
    raise ValueError("unknown producer kind %r" % kind)


class Workload:
    def __init__(self, work, bootstrap, topic, partitions, producers, consumers=2, rate=100, idempotent=False,
                 on_pid=None):
        self.work, self.bootstrap, self.topic, self.partitions = work, bootstrap, topic, partitions
        self.producer_kinds, self.consumer_count, self.rate, self.idempotent = producers, consumers, rate, idempotent
        self.on_pid = on_pid or (lambda pid: None)
        self.stop_file = os.path.join(work, "stop")
        self.processes = []
        self.sessions = 0

    def _spawn(self, command, log_name):
        log = open(os.path.join(self.work, log_name), "ab")
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
        log.close()
        self.on_pid(process.pid)
        self.processes.append((log_name, process))
        return process

    def start(self):
        if os.path.exists(self.stop_file):
            os.unlink(self.stop_file)
        for i, kind in enumerate(self.producer_kinds):
            name = "%s%d" % ({"python": "py", "confluent-dotnet": "cn", "gregor-client": "gc"}[kind], i)
            self._spawn(producer_command(kind, self.bootstrap, self.topic, name,
                                         os.path.join(self.work, "producer-%s.jsonl" % name), self.stop_file,
                                         self.rate, self.idempotent), "producer-%s.log" % name)
        for _ in range(self.consumer_count):
            self.start_consumer()

    def start_consumer(self):
        self.sessions += 1
        self._spawn([PYTHON, os.path.join(HERE, "clients", "py_consumer.py"), self.bootstrap, self.topic,
                     str(self.partitions), os.path.join(self.work, "consumer-%d.jsonl" % self.sessions),
                     self.stop_file], "consumer-%d.log" % self.sessions)

    def problems(self):
        """Client processes that exited before they were told to stop, with the end of their output."""
        found = []
        for log_name, process in self.processes:
            if process.poll() is not None and not os.path.exists(self.stop_file):
                with open(os.path.join(self.work, log_name), "rb") as f:
                    tail = f.read()[-2000:].decode(errors="replace")  # a librdkafka fatal error names its cause first
                found.append("%s exited %s: %s" % (log_name, process.returncode, tail))
        return found

    def stop(self, timeout=40):
        open(self.stop_file, "w").close()
        deadline = time.monotonic() + timeout
        for _, process in self.processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def kill_all(self):
        for _, process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()

    def final_read(self, timeout=90):
        path = os.path.join(self.work, "final.jsonl")
        subprocess.run([PYTHON, os.path.join(HERE, "clients", "final_read.py"), self.bootstrap, self.topic,
                        str(self.partitions), path, str(timeout)], timeout=timeout + 60,
                       stdout=open(os.path.join(self.work, "final.log"), "ab"), stderr=subprocess.STDOUT)
        return path


def load(work):
    """(writes, sessions, final, final complete) from a run's work directory."""
    writes, sessions, final, complete = {}, {}, [], False
    for name in sorted(os.listdir(work)):
        path = os.path.join(work, name)
        if name.startswith("producer-") and name.endswith(".jsonl"):
            events = []
            for line in _lines(path):
                if line.get("f") == "invoke":
                    events.append(("invoke", line["v"]))
                elif line.get("f") == "ok":
                    events.append(("ok", line["v"], line["p"], line["o"]))
                elif line.get("f") == "fail":
                    events.append(("fail", line["v"], line["e"]))
            writes[name[len("producer-"):-len(".jsonl")]] = events
        elif name.startswith("consumer-") and name.endswith(".jsonl"):
            sessions[name[:-len(".jsonl")]] = [tuple(r) for r in _lines(path) if isinstance(r, list)]
        elif name == "final.jsonl":
            for r in _lines(path):
                if isinstance(r, list):
                    final.append(tuple(r))
                elif isinstance(r, dict) and "complete" in r:
                    complete = r["complete"]
    return writes, sessions, final, complete


def _lines(path):
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                yield json.loads(line)
            except ValueError:
                pass  # a line cut short by a killed client


def check_dir(work, duplicates_allowed=False):
    writes, sessions, final, complete = load(work)
    return checker.check(writes, sessions, final, complete, duplicates_allowed)


if __name__ == "__main__":
    summary = check_dir(sys.argv[1])
    print(json.dumps(summary, indent=1))
    print(checker.one_line(summary))
