"""bench/e2e/latency-tail.sh: where a single broker's latency tail comes from. One broker process (a fresh one and a
fresh data dir for every run) and one `gregor perf produce` of 1 KiB records at a fixed rate with acks=all to a
topic of --partitions partitions; the variants below change one thing each against "base" and take turns over
--rounds rounds (the order rotating). With --counters, dotnet-counters (a dotnet tool, its path in
$DOTNET_COUNTERS) samples the broker and the producer each second: GC pause time, JIT time, thread-pool queue
length and lock contentions over the run. Prints one JSON line per run, then the medians per variant and each
variant's p99 over base's in the same round."""
import argparse
import csv
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "interop", "lib"))
from broker import free_port  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--dll", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--seconds", type=int, default=10)
parser.add_argument("--rate-mib", type=float, default=50.0)
parser.add_argument("--partitions", type=int, default=3)
parser.add_argument("--variants", help="comma-separated names (default: all)")
parser.add_argument("--counters", action="store_true")
parser.add_argument("--warmup-records", type=int, default=0,
                    help="records perf produce sends first and leaves out of the latency figures (a fresh producer's start)")
parser.add_argument("--baseline-dll", help="another build's gregor.dll: variant baseline-client runs perf produce (the "
                    "client) from it against the same broker as base, so a client change is measured in the same round")
args = parser.parse_args()

RATE = int(args.rate_mib * 1024 * 1024 / 1024)
TMPFS = "/dev/shm"

# name -> what it changes: broker env, client env, broker/client command prefix, producer props, data on tmpfs
VARIANTS = {
    "base": {},
    "tmpfs": {"tmpfs": True},
    "broker-gen0-64m": {"broker_env": {"DOTNET_GCgen0size": "0x4000000"}},
    "broker-gc-nonconcurrent": {"broker_env": {"DOTNET_gcConcurrent": "0"}},
    "client-gen0-64m": {"client_env": {"DOTNET_GCgen0size": "0x4000000"}},
    "no-tiered-jit": {"broker_env": {"DOTNET_TieredCompilation": "0"}, "client_env": {"DOTNET_TieredCompilation": "0"}},
    "no-tiered-jit-broker": {"broker_env": {"DOTNET_TieredCompilation": "0"}},
    "no-tiered-jit-client": {"client_env": {"DOTNET_TieredCompilation": "0"}},
    "no-tiered-pgo": {"broker_env": {"DOTNET_TieredPGO": "0"}, "client_env": {"DOTNET_TieredPGO": "0"}},
    "pinned-apart": {"broker_prefix": ["taskset", "-c", "0"], "client_prefix": ["taskset", "-c", "1"]},
    "niced": {"broker_prefix": ["nice", "-n", "-15"], "client_prefix": ["nice", "-n", "-15"]},
    "linger-0": {"props": ["linger.ms=0"]},
    "batch-64k": {"props": ["batch.size=65536"]},
    "batch-256k": {"props": ["batch.size=262144"]},
    "partitions-12": {"partitions": 12},
    "niced-batch-256k": {"broker_prefix": ["nice", "-n", "-15"], "client_prefix": ["nice", "-n", "-15"],
                         "props": ["batch.size=262144"]},
    # The broker JIT-compiled and its heap grown by a first run of the same load (not measured) before the measured one.
    "warm-broker": {"warmup": True},
    # The same load from librdkafka (bench/e2e/rdkafka_latency.py): a native client, several batches of a partition in flight.
    "librdkafka": {"librdkafka": True},
}
if args.baseline_dll:
    VARIANTS["baseline-client"] = {"client_dll": args.baseline_dll}
names = args.variants.split(",") if args.variants else list(VARIANTS)
for name in names:
    if name not in VARIANTS:
        sys.exit("unknown variant %s; known: %s" % (name, ", ".join(VARIANTS)))


def counters(pid, seconds, path):
    tool = os.environ.get("DOTNET_COUNTERS")
    if not args.counters or not tool:
        return None
    duration = "00:00:00:%02d" % min(59, seconds)
    return subprocess.Popen([tool, "collect", "-p", str(pid), "--counters", "System.Runtime", "--refresh-interval", "1",
                             "--format", "csv", "-o", path, "--duration", duration],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def counter_sums(path):
    """Totals over the samples of the per-interval counters that tell about a tail."""
    wanted = {"dotnet.gc.pause.time": "gc_pause_s", "dotnet.jit.compilation.time": "jit_s",
              "dotnet.monitor.lock_contentions": "lock_contentions", "dotnet.thread_pool.queue.length": "tp_queue_max"}
    sums = {v: 0.0 for v in wanted.values()}
    try:
        with open(path) as f:
            for row in csv.DictReader(f):
                name = row["Counter Name"].split(" ")[0]
                if name in wanted:
                    key, value = wanted[name], float(row["Mean/Increment"] or 0)
                    sums[key] = max(sums[key], value) if key == "tp_queue_max" else sums[key] + value
    except (FileNotFoundError, KeyError, ValueError):
        return None
    return {k: round(v, 4) for k, v in sums.items()}


def wait_port(port, process, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError("broker exited %s" % process.returncode)
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("broker did not listen on %d" % port)


def run(name, round_no):
    variant = VARIANTS[name]
    base_dir = TMPFS if variant.get("tmpfs") else args.work
    data = tempfile.mkdtemp(prefix="tail-data-", dir=base_dir)
    port = free_port()
    broker_env = dict(os.environ, **variant.get("broker_env", {}))
    client_env = dict(os.environ, **variant.get("client_env", {}))
    log = open(os.path.join(args.work, "broker-%s-%d.log" % (name, round_no)), "wb")
    broker = subprocess.Popen(variant.get("broker_prefix", []) + [
        "dotnet", args.dll, "server", "--set", "log.dirs=" + data, "--set", "listeners=PLAINTEXT://127.0.0.1:%d" % port],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=broker_env)
    samplers = []
    try:
        wait_port(port, broker)
        bootstrap = "127.0.0.1:%d" % port
        subprocess.run(["dotnet", args.dll, "topic", "create", "tail", "--partitions", str(variant.get("partitions", args.partitions)),
                        "--bootstrap-server", bootstrap], check=True, capture_output=True, timeout=60)
        perf = variant.get("client_prefix", []) + [
            "dotnet", variant.get("client_dll", args.dll), "perf", "produce", "tail", "--record-size", "1024", "--acks", "all",
            "--throughput", str(RATE), "--duration", "%ds" % args.seconds, "--output", "json",
            "--bootstrap-server", bootstrap]
        for prop in variant.get("props", []):
            perf += ["--producer-props", prop]
        if args.warmup_records:
            perf += ["--warmup-records", str(args.warmup_records)]
        if variant.get("librdkafka"):
            perf = ["/usr/bin/python3", os.path.join(os.path.dirname(os.path.abspath(__file__)), "rdkafka_latency.py"),
                    bootstrap, "tail", str(RATE), str(args.seconds)]
        if variant.get("warmup"):
            subprocess.run([a if a != "%ds" % args.seconds else "%ds" % max(3, args.seconds // 2) for a in perf],
                           check=True, capture_output=True, env=client_env, timeout=args.seconds + 120)
        load = os.getloadavg()[0]
        client = subprocess.Popen(perf, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=client_env)
        broker_csv = os.path.join(args.work, "counters-broker-%s-%d.csv" % (name, round_no))
        client_csv = os.path.join(args.work, "counters-client-%s-%d.csv" % (name, round_no))
        # Attached to the producer only once its runtime is up: an attach during the runtime's start once left it hung.
        samplers = [s for s in (counters(broker.pid, args.seconds + 1, broker_csv),) if s]
        time.sleep(0.5)
        samplers += [s for s in (counters(client.pid, args.seconds, client_csv),) if s]
        try:
            out, err = client.communicate(timeout=args.seconds + 120)
        except subprocess.TimeoutExpired:
            client.kill()
            client.communicate()
            print(json.dumps({"round": round_no, "variant": name, "hung": True}), flush=True)
            return None
        if client.returncode != 0:
            raise AssertionError("perf produce exited %d: %s" % (client.returncode, err.decode()[-2000:]))
        result = json.loads(out)
        for sampler in samplers:
            sampler.wait(timeout=60)
        row = {"round": round_no, "variant": name, "records_per_s": round(result["recordsPerSecond"]),
               "p50_ms": result["p50Ms"], "p99_ms": result["p99Ms"], "p999_ms": result["p999Ms"],
               "max_ms": result["maxMs"], "client_cpu_s": round(result["cpuSeconds"], 2),
               "client_gc": [result["gen0Collections"], result["gen1Collections"], result["gen2Collections"]],
               "load": round(load, 1)}
        if args.counters:
            row["broker_counters"] = counter_sums(broker_csv)
            row["client_counters"] = counter_sums(client_csv)
        print(json.dumps(row), flush=True)
        return row
    finally:
        for sampler in samplers:
            if sampler.poll() is None:
                sampler.kill()
        broker.terminate()
        try:
            broker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            broker.kill()
            broker.wait()
        log.close()
        shutil.rmtree(data, ignore_errors=True)


# A SIGTERM (a timeout around the script) unwinds through run()'s finally, which stops the broker and removes its data.
signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
rows = []
for round_no in range(1, args.rounds + 1):
    shift = (round_no - 1) % len(names)
    for name in names[shift:] + names[:shift]:
        row = run(name, round_no)
        if row:
            rows.append(row)

print("\n%d rounds, %d partitions, 1 KiB records at %d records/s (%.0f MiB/s), acks=all, one broker:"
      % (args.rounds, args.partitions, RATE, args.rate_mib))
header = "%-24s %9s %8s %8s %9s %8s %9s %12s" % ("variant", "records/s", "p50 ms", "p99 ms", "p99.9 ms", "max ms",
                                                  "p99/base", "client cpu s")
if args.counters:
    header += " %10s %10s %9s %9s" % ("brk gc s", "cli gc s", "brk jit s", "cli jit s")
print(header)
for name in names:
    mine = [r for r in rows if r["variant"] == name]
    if not mine:
        continue
    base = {r["round"]: r["p99_ms"] for r in rows if r["variant"] == "base"}
    ratios = [r["p99_ms"] / base[r["round"]] for r in mine if r["round"] in base and base[r["round"]]]
    line = "%-24s %9d %8.2f %8.2f %9.2f %8.2f %9s %12.2f" % (
        name, statistics.median(r["records_per_s"] for r in mine), statistics.median(r["p50_ms"] for r in mine),
        statistics.median(r["p99_ms"] for r in mine), statistics.median(r["p999_ms"] for r in mine),
        statistics.median(r["max_ms"] for r in mine),
        "%.2f" % statistics.median(ratios) if ratios else "-", statistics.median(r["client_cpu_s"] for r in mine))
    if args.counters:
        def med(side, key):
            values = [r[side][key] for r in mine if r.get(side)]
            return statistics.median(values) if values else float("nan")
        line += " %10.3f %10.3f %9.3f %9.3f" % (med("broker_counters", "gc_pause_s"), med("client_counters", "gc_pause_s"),
                                                med("broker_counters", "jit_s"), med("client_counters", "jit_s"))
    print(line)
