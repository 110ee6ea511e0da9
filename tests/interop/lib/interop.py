"""Small helpers every interop test case uses (run with /usr/bin/python3).

A case gets its broker from the environment run.sh sets:
  GREGOR_BOOTSTRAP  host:port of the running broker
  GREGOR_PID        its process id
  GREGOR_DATA_DIR   its log.dirs
  GREGOR_DLL        the gregor.dll it runs (cases that start their own broker use it)
  GREGOR_SCRATCH    a directory the case may write into
A case exits 0 when every check held; a failed check raises and prints what came back.
"""
import json
import logging
import os
import re
import subprocess
import sys
import time
import uuid


def env(name):
    value = os.environ.get(name)
    if not value:
        sys.exit("%s is not set; run this case through tests/interop/run.sh" % name)
    return value


def bootstrap():
    return env("GREGOR_BOOTSTRAP")


def scratch(name):
    return os.path.join(env("GREGOR_SCRATCH"), name)


def unique_topic(prefix):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:8])


def check(condition, message, *args):
    if not condition:
        raise AssertionError(message % args if args else message)


def log(message, *args):
    print(("[%s] " % time.strftime("%H:%M:%S")) + (message % args if args else message),
          flush=True)


def gregor(*args, expect_exit=0):
    """Runs the gregor CLI against the broker under test (GREGOR_DLL); checks its exit code and returns its
    parsed JSON output when --output json was asked, else (stdout, stderr)."""
    command = ["dotnet", env("GREGOR_DLL")] + list(args) + ["--bootstrap", bootstrap()]
    result = subprocess.run(command, capture_output=True)
    check(result.returncode == expect_exit, "%s exited %d, expected %d:\n%s%s", " ".join(args),
          result.returncode, expect_exit, result.stdout.decode(errors="replace"), result.stderr.decode(errors="replace"))
    out = result.stdout.decode()
    return json.loads(out) if "json" in args and expect_exit == 0 else (out, result.stderr.decode())


def run(command, **kwargs):
    """Runs a client command; a non-zero exit is a failure that shows its stderr."""
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, **kwargs)
    if result.returncode != 0:
        raise AssertionError("%s exited %d:\n%s" % (
            " ".join(command), result.returncode,
            result.stderr.decode(errors="replace")[-4000:]))
    return result, time.monotonic() - started


def rss_bytes(pid):
    with open("/proc/%d/status" % pid) as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS for pid %d" % pid)


def process_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def topic_batch_headers(data_dir, topic, header_size):
    """(partition, header) of every RecordBatch in the topic's segment files under data_dir (<topic>-<p>/<base offset>.log),
    in file order: the first header_size bytes of each batch, and (partition, None) once per partition folder first,
    so a folder without a batch is seen too. A batch length of 0 or less is the preallocated tail."""
    for entry in os.listdir(data_dir):
        prefix, _, partition = entry.rpartition("-")
        if prefix != topic or not partition.isdigit():
            continue
        yield int(partition), None
        folder = os.path.join(data_dir, entry)
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".log"):
                continue
            with open(os.path.join(folder, name), "rb") as segment:
                data = segment.read()
            position = 0
            while position + header_size <= len(data):
                length = int.from_bytes(data[position + 8:position + 12], "big", signed=True)
                if length <= 0:
                    break
                yield int(partition), data[position:position + header_size]
                position += 12 + length


def stored_batch_codecs(data_dir, topic, partitions):
    """{partition: set of codec ids} of every batch in the topic's segment files, read straight
    from the Kafka on-disk layout (<topic>-<p>/<base offset>.log of RecordBatch v2). Fails unless
    every one of the topic's partitions has its folder there holding at least one batch: a check
    that finds nothing to look at must not pass."""
    codecs = {}
    for partition, header in topic_batch_headers(data_dir, topic, header_size=23):
        found = codecs.setdefault(partition, set())
        if header is not None:
            found.add(int.from_bytes(header[21:23], "big") & 7)
    check(sorted(codecs) == list(range(partitions)), "segment folders of %s in %s for partitions %s, expected 0..%d",
          topic, data_dir, sorted(codecs), partitions - 1)
    empty = [p for p, found in codecs.items() if not found]
    check(not empty, "no batch in the segment files of %s partitions %s", topic, empty)
    return codecs


class RequestVersions(logging.Handler):
    """The request versions librdkafka clients sent, read from their debug=protocol log lines
    ("Sent JoinGroupRequest (v5, ...)"). Give a client client_config(); its log reaches the
    handler when the client is polled."""

    _SENT = re.compile(r"Sent (\w+)Request \(v(\d+)")

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.seen = {}
        self.logger = logging.getLogger("gregor-interop.librdkafka")
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False
        self.logger.addHandler(self)

    def emit(self, record):
        match = self._SENT.search(record.getMessage())
        if match:
            self.seen.setdefault(match.group(1), set()).add(int(match.group(2)))

    def client_config(self):
        return {"debug": "protocol", "logger": self.logger}

    def summary(self, apis):
        return ", ".join("%s v%s" % (api, "/v".join(str(v) for v in sorted(self.seen[api])))
                         for api in apis if api in self.seen)
