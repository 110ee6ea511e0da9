"""bench/e2e/replication-throughput.sh: a cluster of three combined nodes (tests/interop/lib/cluster.py) and
`gregor perf produce` runs against it, the configurations interleaved over --rounds rounds so that each ratio
compares runs made minutes apart on the same machine:

  throughput, for 100 B and 1 KiB records, each for --seconds: RF=1 acks=1 (the baseline), RF=3
      min.insync.replicas=2 acks=all, and the same with an idempotent producer;
  latency, 1 KiB records at a fixed --rate-mib MiB/s for --latency-seconds, acks=all: RF=1, RF=3
      (min.insync.replicas=2), RF=3 idempotent. Send-to-acknowledgement percentiles of every record.

Every run gets a fresh topic of --partitions partitions (their leaders spread over the three nodes), deleted after
it. The order of the configurations rotates from round to round. Prints one JSON line per run (with the brokers'
CPU seconds during it), then the medians and the median of the per-round ratios."""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "interop", "lib"))
from cluster import Cluster  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--dll", required=True)
parser.add_argument("--work", required=True)
parser.add_argument("--rounds", type=int, default=3)
parser.add_argument("--seconds", type=int, default=6, help="length of a throughput run")
parser.add_argument("--latency-seconds", type=int, default=10, help="length of a latency run")
parser.add_argument("--rate-mib", type=float, default=50.0, help="the latency runs' fixed rate, MiB/s of 1 KiB records")
parser.add_argument("--partitions", type=int, default=3)
parser.add_argument("--only", choices=["all", "throughput", "latency"], default="all")
parser.add_argument("--broker-cpus", help="taskset -c list for the brokers (default: not pinned)")
parser.add_argument("--client-cpus", help="taskset -c list for the producer (default: not pinned)")
parser.add_argument("--producer-props", action="append", default=[], help="extra name=value for every run")
parser.add_argument("--baseline-dll", help="another build's gregor.dll: its producer also runs RF=3 acks=all against the same "
                    "cluster, taking turns with this build's, for a before/after ratio of the client")
parser.add_argument("--warmup-records", type=int, default=0, help="records the latency runs leave out of their percentiles")
args = parser.parse_args()


def pinned(cpus, command):
    return (["taskset", "-c", cpus] if cpus else []) + command


RATE = int(args.rate_mib * 1024 * 1024 / 1024)
# name, kind, record size, replication factor, acks, idempotent, producer's gregor.dll
CONFIGS = []
if args.only in ("all", "throughput"):
    for size, label in ((100, "100B"), (1024, "1KiB")):
        CONFIGS += [("tput %s rf1 acks=1" % label, "tput", size, 1, "1", False, args.dll),
                    ("tput %s rf3 acks=all" % label, "tput", size, 3, "all", False, args.dll),
                    ("tput %s rf3 acks=all idem" % label, "tput", size, 3, "all", True, args.dll)]
        if args.baseline_dll:
            CONFIGS += [("tput %s rf3 acks=all baseline" % label, "tput", size, 3, "all", False, args.baseline_dll)]
if args.only in ("all", "latency"):
    CONFIGS += [("lat 1KiB rf1 acks=all", "lat", 1024, 1, "all", False, args.dll),
                ("lat 1KiB rf3 acks=all", "lat", 1024, 3, "all", False, args.dll),
                ("lat 1KiB rf3 acks=all idem", "lat", 1024, 3, "all", True, args.dll)]
    if args.baseline_dll:
        CONFIGS += [("lat 1KiB rf3 acks=all baseline", "lat", 1024, 3, "all", False, args.baseline_dll)]


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def brokers_cpu(cluster):
    return sum(cpu_seconds(node.process.pid) for node in cluster.nodes.values())


def gregor(cluster, *command, timeout=120, dll=None):
    full = pinned(args.client_cpus, ["dotnet", dll or args.dll] + list(command) + ["--bootstrap-server", cluster.bootstrap_list])
    result = subprocess.run(full, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError("%s exited %d:\n%s%s" % (" ".join(full), result.returncode, result.stdout, result.stderr))
    return result.stdout


def run_one(cluster, config, round_no, serial):
    name, kind, size, rf, acks, idempotent, producer_dll = config
    topic = "bench-%d-%d" % (round_no, serial)
    create = ["topic", "create", topic, "--partitions", str(args.partitions), "--replication-factor", str(rf)]
    if rf == 3:
        create += ["--config", "min.insync.replicas=2"]
    gregor(cluster, *create)
    cluster.wait_leaders(topic, args.partitions)
    perf = ["perf", "produce", topic, "--record-size", str(size), "--acks", acks, "--output", "json",
            "--producer-props", "enable.idempotence=%s" % ("true" if idempotent else "false")]
    if kind == "tput":
        perf += ["--duration", "%ds" % args.seconds]
    else:
        perf += ["--duration", "%ds" % args.latency_seconds, "--throughput", str(RATE)]
        if args.warmup_records:
            perf += ["--warmup-records", str(args.warmup_records)]
    for prop in args.producer_props:
        perf += ["--producer-props", prop]
    before, load = brokers_cpu(cluster), os.getloadavg()[0]
    result = json.loads(gregor(cluster, *perf, dll=producer_dll))
    broker_cpu = brokers_cpu(cluster) - before
    gregor(cluster, "topic", "delete", topic)
    if result["failed"]:
        raise AssertionError("%s: %d records failed" % (name, result["failed"]))
    row = {"round": round_no, "config": name, "records_per_s": round(result["recordsPerSecond"]),
           "mib_per_s": round(result["megabytesPerSecond"], 1), "p50_ms": result["p50Ms"], "p99_ms": result["p99Ms"],
           "p999_ms": result["p999Ms"], "max_ms": result["maxMs"], "client_cpu_s": round(result["cpuSeconds"], 2),
           "brokers_cpu_s": round(broker_cpu, 2), "gc": [result["gen0Collections"], result["gen1Collections"],
                                                          result["gen2Collections"]], "load": round(load, 1)}
    print(json.dumps(row), flush=True)
    return row


rows = []
with Cluster(args.dll, args.work) as cluster:
    for node in cluster.nodes.values():
        node.command = (lambda n: lambda: pinned(args.broker_cpus, ["dotnet", n.dll, "server", "--config", n.config_path]))(node)
    cluster.start()
    serial = 0
    for round_no in range(1, args.rounds + 1):
        shift = (round_no - 1) % len(CONFIGS)
        for config in CONFIGS[shift:] + CONFIGS[:shift]:
            serial += 1
            rows.append(run_one(cluster, config, round_no, serial))


def median(values):
    return statistics.median(values) if values else float("nan")


def by(name, key):
    return {r["round"]: r[key] for r in rows if r["config"] == name}


print("\nmedians over %d rounds (%d partitions; latency runs at %d records/s = %.0f MiB/s):"
      % (args.rounds, args.partitions, RATE, args.rate_mib))
print("%-28s %10s %8s %8s %8s %8s %8s %9s %9s" % ("config", "records/s", "MiB/s", "p50 ms", "p99 ms", "p99.9 ms",
                                                 "max ms", "client s", "brokers s"))
for config in CONFIGS:
    name = config[0]
    mine = [r for r in rows if r["config"] == name]
    print("%-28s %10d %8.1f %8.2f %8.2f %8.2f %8.2f %9.2f %9.2f" % (
        name, median([r["records_per_s"] for r in mine]), median([r["mib_per_s"] for r in mine]),
        median([r["p50_ms"] for r in mine]), median([r["p99_ms"] for r in mine]), median([r["p999_ms"] for r in mine]),
        median([r["max_ms"] for r in mine]), median([r["client_cpu_s"] for r in mine]),
        median([r["brokers_cpu_s"] for r in mine])))


def ratio(numerator, denominator, key):
    a, b = by(numerator, key), by(denominator, key)
    per_round = [a[k] / b[k] for k in sorted(a) if k in b and b[k]]
    if per_round:
        print("  %-64s %6.3f   (rounds: %s)" % ("%s / %s, %s" % (numerator, denominator, key), median(per_round),
                                                " ".join("%.3f" % x for x in per_round)))


print("\nratios, median of the per-round ratios:")
if args.only in ("all", "throughput"):
    for label in ("100B", "1KiB"):
        ratio("tput %s rf3 acks=all" % label, "tput %s rf1 acks=1" % label, "records_per_s")
        ratio("tput %s rf3 acks=all idem" % label, "tput %s rf3 acks=all" % label, "records_per_s")
        ratio("tput %s rf3 acks=all" % label, "tput %s rf3 acks=all baseline" % label, "records_per_s")
if args.only in ("all", "latency"):
    for key in ("p50_ms", "p99_ms"):
        ratio("lat 1KiB rf3 acks=all", "lat 1KiB rf1 acks=all", key)
        ratio("lat 1KiB rf3 acks=all idem", "lat 1KiB rf3 acks=all", key)
    for key in ("p50_ms", "p99_ms", "p999_ms"):
        ratio("lat 1KiB rf3 acks=all", "lat 1KiB rf3 acks=all baseline", key)
