#!/usr/bin/python3
"""The fault harness: a cluster of Gregor nodes in network namespaces, a queue workload of real clients, faults, and
the checker (tests/fault/README.md).

    run.py --scenario NAME [--cycles N] [--seed S] [--rf 3] [--min-isr 2] [--nodes 3] [...]
    run.py --suite [--cycles N] [--rf R --min-isr M]   every scenario, a few cycles each; last line
                                                        "fault: N passed, N failed"
    run.py --self-test                                  the checker against synthetic histories
    run.py --check DIR                                  the checker again on a kept run's histories

A scenario prints what each cycle did, a JSON summary and one line; the exit status is 0 when the checker and the
scenario's own checks found nothing, 1 on any anomaly, 2 when the scenario is not runnable on this build (e.g.
CreateTopics refuses the replication factor), 3 when the harness itself failed."""
import argparse
import atexit
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, "lib"))
import checker  # noqa: E402
import net as netmod  # noqa: E402
import scenarios  # noqa: E402
import segments  # noqa: E402
import selftest  # noqa: E402
import workload as wl  # noqa: E402
from fault_cluster import FaultCluster  # noqa: E402

PASSED, FAILED, NOT_RUNNABLE, HARNESS_ERROR = 0, 1, 2, 3
SUITE_ORDER = ["isr-shrink-then-leader-cut", "double-failover", "last-isr-loses-unflushed", "paused-past-session",
               "mixed"]


class NotRunnable(Exception):
    pass


def stamp():
    return time.strftime("%H:%M:%S")


class Harness:
    def __init__(self, args):
        self.args = args
        self.run_id = os.urandom(2).hex()
        self.net = netmod.Network(self.run_id, args.nodes)
        self.topic = "fault-%s" % self.run_id
        self.session_s = args.session_ms / 1000.0
        self.replica_lag_s = args.replica_lag_ms / 1000.0
        self.hold_s = args.hold if args.hold is not None else self.session_s + 2.0
        self.events, self.findings, self.notes = [], [], []
        self.page_cache_losses = 0
        self.divergence_check_wanted = False
        self.work = None
        self.cluster = None
        self.workload = None
        self.probe_history = None
        self.cleaned = False

    # --- output ---------------------------------------------------------------------------------------------
    def event(self, fmt, *a):
        text = fmt % a if a else fmt
        self.events.append("%s %s" % (stamp(), text))
        print("  %s %s" % (stamp(), text), flush=True)

    def finding(self, fmt, *a):
        text = fmt % a if a else fmt
        self.findings.append(text)
        print("  %s FINDING: %s" % (stamp(), text), flush=True)

    def note(self, fmt, *a):
        text = fmt % a if a else fmt
        self.notes.append(text)
        print("  %s note: %s" % (stamp(), text), flush=True)

    # --- lifetime -------------------------------------------------------------------------------------------
    def setup(self):
        removed = netmod.remove_stale()
        if removed:
            print("fault: removed leftovers of earlier runs: %s" % removed, flush=True)
        self.work = tempfile.mkdtemp(prefix="gregor-fault-%s." % self.run_id)
        self.net.work = self.work
        self.net.create()
        if not self.args.keep:
            self.net.own_dir(self.work)
        settings = ["broker.session.timeout.ms=%d" % self.args.session_ms,
                    "broker.heartbeat.interval.ms=%d" % self.args.heartbeat_ms] + list(self.args.set)
        self.cluster = FaultCluster(self.args.dll, os.path.join(self.work, "cluster"), self.net, settings)
        self.cluster.format()
        started = time.monotonic()
        self.cluster.start_all(timeout=120)
        self.event("%d nodes up in %.1f s at %s (work dir %s)", self.args.nodes, time.monotonic() - started,
                   self.cluster.bootstrap_list, self.work)

    def cleanup(self):
        if self.cleaned:
            return
        self.cleaned = True
        if self.workload:
            self.workload.kill_all()
        if self.cluster:
            self.cluster.close()
        self.net.destroy()
        if self.work and not self.args.keep:
            shutil.rmtree(self.work, ignore_errors=True)

    # --- the topic and the cluster's state ------------------------------------------------------------------
    def create_topic(self):
        from confluent_kafka.admin import AdminClient, NewTopic
        admin = AdminClient({"bootstrap.servers": self.cluster.bootstrap_list, "socket.timeout.ms": 10000})
        topic = NewTopic(self.topic, num_partitions=self.args.partitions, replication_factor=self.args.rf,
                         config={"min.insync.replicas": str(self.args.min_isr)})
        future = admin.create_topics([topic], request_timeout=30)[self.topic]
        try:
            future.result(timeout=40)
        except Exception as e:  # the client's KafkaException carries the broker's error code and message
            raise NotRunnable("CreateTopics of %d partitions, replication factor %d, min.insync.replicas %d was "
                              "refused: %s" % (self.args.partitions, self.args.rf, self.args.min_isr, e))
        leaders = self.cluster.wait_led(self.topic, self.args.partitions, timeout=60)
        state = self.cluster.partitions(self.topic)
        self.event("topic %s: %d partitions, RF %d, min.insync.replicas %d; leaders %s, replicas %s", self.topic,
                   self.args.partitions, self.args.rf, self.args.min_isr, leaders,
                   {p: s[1] for p, s in sorted(state.items())})
        short = {p: s[1] for p, s in state.items() if len(s[1]) != self.args.rf}
        if short:
            raise NotRunnable("the topic was created but its partitions do not have %d replicas: %s"
                              % (self.args.rf, short))

    def wait_state(self, timeout=90):
        self.cluster.wait_led(self.topic, self.args.partitions, timeout=timeout)
        return self.cluster.partitions(self.topic)

    def heal(self):
        self.net.heal()
        for node in self.cluster.nodes.values():
            if node.paused:
                node.resume()
            if not node.alive():
                node.launch()

    def settle(self):
        """After a heal: every broker registered, every partition led, alike everywhere; the ISR full again."""
        started = time.monotonic()
        self.cluster.wait_brokers(list(self.cluster.nodes), timeout=self.args.settle_timeout)
        self.cluster.wait_led(self.topic, self.args.partitions, timeout=self.args.settle_timeout)
        if self.args.rf > 1:
            deadline = time.monotonic() + self.replica_lag_s + 30
            while True:
                state = self.cluster.partitions(self.topic)
                short = {p: (s[1], s[2]) for p, s in state.items() if sorted(s[1]) != sorted(s[2])}
                if state and not short:
                    break
                if time.monotonic() > deadline:
                    self.note("ISR not full %.0f s after healing, {partition: (replicas, isr)}: %s",
                              time.monotonic() - started, short)
                    break
                time.sleep(0.3)
        return time.monotonic() - started

    # --- the run --------------------------------------------------------------------------------------------
    def acknowledged_so_far(self):
        count = 0
        for name in os.listdir(self.work):
            if name.startswith("producer-") and name.endswith(".jsonl"):
                with open(os.path.join(self.work, name)) as f:
                    count += sum(1 for line in f if '"ok"' in line)
        return count

    def run(self, scenario):
        self.setup()
        self.create_topic()
        self.probe_history = open(os.path.join(self.work, "producer-probe.jsonl"), "a")
        self.workload = wl.Workload(self.work, self.cluster.bootstrap_list, self.topic, self.args.partitions,
                                    self.args.producers, self.args.consumers, self.args.rate, self.args.idempotent,
                                    on_pid=self.net.own_pid)
        self.workload.start()
        deadline = time.monotonic() + 60
        while self.acknowledged_so_far() == 0:
            problems = self.workload.problems()
            unsupported = [p for p in problems if "not supported" in p.lower()]
            if unsupported:
                # e.g. librdkafka's fatal "Idempotent producer not supported by any of the connected broker(s)".
                why = [line for line in unsupported[0].splitlines() if "not supported" in line.lower()][-1]
                raise NotRunnable("a producer refused to run against this build: %s" % why.strip()[-300:])
            if problems:
                raise AssertionError("a client exited: %s" % problems)
            if time.monotonic() > deadline:
                raise NotRunnable("no write was acknowledged within 60 s of the producers' start (acks=all, RF %d, "
                                  "min.insync.replicas %d)" % (self.args.rf, self.args.min_isr))
            time.sleep(0.2)
        time.sleep(self.args.warmup)
        rng = random.Random(self.args.seed)
        for cycle in range(1, self.args.cycles + 1):
            self.event("cycle %d/%d of %s", cycle, self.args.cycles, scenario)
            scenarios.SCENARIOS[scenario](self, rng, cycle)
            try:
                took = self.settle()
                self.event("settled %.1f s after healing", took)
            except AssertionError as e:
                self.finding("cycle %d: the cluster did not settle after healing: %s", cycle, e)
                break
            problems = self.workload.problems()
            if problems:
                raise AssertionError("a client exited during cycle %d: %s" % (cycle, problems))
            time.sleep(self.args.settle)
        self.workload.stop()
        self.probe_history.close()
        self.note_client_restarts()
        self.event("workload stopped; final read")
        self.workload.final_read()
        summary = wl.check_dir(self.work, duplicates_allowed=not self.args.idempotent)
        divergence = self.compare_replicas()
        return summary, divergence

    def note_client_restarts(self):
        """Producers that went on with a new producer id after librdkafka#4438's fatal error (py_producer.py says why)."""
        for name in sorted(os.listdir(self.work)):
            if name.startswith("producer-") and name.endswith(".jsonl"):
                with open(os.path.join(self.work, name)) as f:
                    restarts = [json.loads(line).get("e", "") for line in f if '"restart"' in line]
                if restarts:
                    self.note("%s restarted %d time(s) after librdkafka#4438 (a client bug fixed in librdkafka 2.3.0), "
                              "first: %s", name[:-len(".jsonl")], len(restarts), restarts[0][:300])

    def compare_replicas(self):
        """Each partition's batches below its high watermark (as the final read found it), alike (offsets and CRC) on
        every replica; read from the replicas' segment files while the nodes run."""
        ends = {}
        with open(os.path.join(self.work, "final.jsonl")) as f:
            for line in f:
                record = json.loads(line)
                if isinstance(record, dict):
                    ends = {int(p): hw for p, hw in record.get("ends", {}).items()}
        state = self.cluster.partitions(self.topic)
        if self.args.rf == 1:
            return {"checked": False, "why": "one replica per partition"}
        diverged, behind = {}, {}
        deadline = time.monotonic() + 30
        while True:
            diverged.clear()
            behind.clear()
            for p, (_, replicas, _) in sorted(state.items()):
                digests = {}
                for n in replicas:
                    dirs = segments.partition_dirs(self.cluster.nodes[n].data_dir, self.topic)
                    digests[n] = segments.batch_digests(dirs[p], ends.get(p, 0)) if p in dirs else []
                split, short = segments.compare_replicas(digests)
                if split:
                    diverged[p] = split
                if short:
                    behind[p] = short
            # A follower may still be truncating a stale tail or catching up: both get 30 s to settle.
            if (not diverged and not behind) or time.monotonic() > deadline:
                break
            time.sleep(1)
        for p, what in diverged.items():
            self.finding("partition %d: replica logs diverge below the high watermark %d: %s", p, ends.get(p), what)
        if behind:
            self.note("replicas still short of the high watermark after up to 30 s: %s", behind)
        return {"checked": True, "diverged": diverged, "behind": behind}


def parse(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scenario", choices=sorted(scenarios.SCENARIOS))
    ap.add_argument("--suite", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--check", metavar="DIR")
    ap.add_argument("--cleanup", action="store_true", help="only remove what runs that died left behind")
    ap.add_argument("--cycles", type=int, default=None, help="default 2 (a scenario) or the suite's per-scenario count")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--rf", type=int, default=3)
    ap.add_argument("--min-isr", type=int, default=2)
    ap.add_argument("--nodes", type=int, default=3, choices=[3, 4, 5])
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--producers", default="python",
                    help="comma-separated client kinds: python, confluent-dotnet, gregor-client")
    ap.add_argument("--consumers", type=int, default=2)
    ap.add_argument("--rate", type=float, default=100, help="writes a second per producer")
    ap.add_argument("--idempotent", action="store_true",
                    help="producers with enable.idempotence (retries on); only then are duplicates an anomaly")
    ap.add_argument("--hold", type=float, default=None, help="seconds a fault is held (default: session + 2 s)")
    ap.add_argument("--settle", type=float, default=2.0, help="seconds of calm after a cycle settled")
    ap.add_argument("--settle-timeout", type=float, default=90.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--session-ms", type=int, default=3000, help="broker.session.timeout.ms given to the nodes")
    ap.add_argument("--heartbeat-ms", type=int, default=500, help="broker.heartbeat.interval.ms given to the nodes")
    ap.add_argument("--replica-lag-ms", type=int, default=30000,
                    help="how long to wait for an ISR shrink (replica.lag.time.max.ms; set it with --set too)")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting for every node")
    ap.add_argument("--dll", default=os.path.join(REPO, "src/Gregor.Cli/bin/Release/net10.0/gregor.dll"))
    ap.add_argument("--keep", action="store_true", help="keep the work dir (histories, node logs and data)")
    ap.add_argument("--keep-failed", metavar="DIR",
                    help="on an anomaly, copy the histories and node logs (not the data) into DIR/<scenario>-<seed>")
    ap.add_argument("--json", metavar="PATH", help="also write the summary there")
    ap.add_argument("--timeout", type=float, default=900, help="suite: seconds one scenario may take")
    args = ap.parse_args(argv)
    args.producers = [k.strip() for k in args.producers.split(",") if k.strip()]
    if sum(bool(x) for x in (args.scenario, args.suite, args.self_test, args.check, args.cleanup)) != 1:
        ap.error("give exactly one of --scenario, --suite, --self-test, --check, --cleanup")
    if args.seed is None:
        args.seed = int.from_bytes(os.urandom(4), "big")
    return args


def _raise_exit(signum, frame):
    raise SystemExit(128 + signum)


def run_scenario(args):
    if os.geteuid() != 0:
        print("fault: network namespaces need root")
        return HARNESS_ERROR
    if not os.path.isfile(args.dll):
        print("fault: no gregor at %s (build src/Gregor.Cli -c Release, or give --dll)" % args.dll)
        return HARNESS_ERROR
    if any(k != "python" for k in args.producers):
        built = subprocess.run([os.path.join(HERE, "dotnet", "build.sh")], capture_output=True, text=True)
        if built.returncode != 0:
            print("fault: the .NET producer did not build:\n%s%s" % (built.stdout, built.stderr))
            return HARNESS_ERROR
    args.cycles = 2 if args.cycles is None else args.cycles
    h = Harness(args)
    atexit.register(h.cleanup)
    signal.signal(signal.SIGTERM, _raise_exit)
    signal.signal(signal.SIGINT, _raise_exit)
    signal.signal(signal.SIGHUP, _raise_exit)
    started = time.monotonic()
    print("fault: %s, %d cycles, seed %d, %d nodes, RF %d, min.insync.replicas %d, producers %s" % (
        args.scenario, args.cycles, args.seed, args.nodes, args.rf, args.min_isr, ",".join(args.producers)),
        flush=True)
    result = {"scenario": args.scenario, "cycles": args.cycles, "seed": args.seed, "nodes": args.nodes, "rf": args.rf,
              "min_insync_replicas": args.min_isr, "producers": args.producers, "idempotent": args.idempotent}
    status = HARNESS_ERROR
    try:
        summary, divergence = h.run(args.scenario)
        anomalies = not summary["valid"] or h.findings
        status = FAILED if anomalies else PASSED
        result.update({"verdict": "failed" if anomalies else "passed", "counts": summary["counts"],
                       "final_read_complete": summary["final_read_complete"], "examples": summary["examples"],
                       "per_producer": summary["producers"],
                       "findings": h.findings, "replica_logs": divergence})
        line = checker.one_line(summary, args.scenario)
        if h.findings:
            line += "; %d finding(s): %s" % (len(h.findings), h.findings[0])
    except NotRunnable as e:
        status = NOT_RUNNABLE
        result.update({"verdict": "not runnable", "reason": str(e)})
        line = "%s not runnable: %s" % (args.scenario, e)
    except SystemExit as e:  # SIGTERM, SIGINT, SIGHUP: cleaned up below, reported, and the signal's status kept
        status = e.code if isinstance(e.code, int) else HARNESS_ERROR
        result.update({"verdict": "interrupted"})
        line = "%s interrupted (exit %s): nothing judged" % (args.scenario, status)
    except Exception as e:  # noqa: BLE001 -- any other error is the harness's own: exit 3 with its traceback, never 1
        result.update({"verdict": "harness error", "error": str(e)})
        line = "%s harness error: %s" % (args.scenario, str(e).splitlines()[0] if str(e) else type(e).__name__)
        traceback.print_exc()
        if h.cluster:
            for node in h.cluster.nodes.values():
                print("--- node %d log (tail):\n%s" % (node.node_id, node.log_tail(12)), file=sys.stderr)
    finally:
        # A harness error (a client that exited, say) keeps its evidence too: the client's log names its cause.
        if status in (FAILED, HARNESS_ERROR) and args.keep_failed and h.work:
            result["evidence"] = keep_evidence(h.work, os.path.join(args.keep_failed, "%s-%d" % (args.scenario,
                                                                                                   args.seed)))
        result.update({"events": h.events, "notes": h.notes, "page_cache_losses": h.page_cache_losses,
                       "seconds": round(time.monotonic() - started, 1),
                       "work_dir": h.work if args.keep else None})
        h.cleanup()
    text = json.dumps(result, indent=1, sort_keys=True)
    print(text)
    if args.json:
        with open(args.json, "w") as f:
            f.write(text + "\n")
    print(line, flush=True)
    return status


def keep_evidence(work, target):
    """The histories (*.jsonl), client logs and each node's server.log and config of a failed run."""
    os.makedirs(target, exist_ok=True)
    for name in os.listdir(work):
        if name.endswith((".jsonl", ".log")):
            shutil.copy(os.path.join(work, name), target)
    cluster = os.path.join(work, "cluster")
    for node in sorted(os.listdir(cluster)) if os.path.isdir(cluster) else ():
        for name in ("server.log", "server.properties"):
            path = os.path.join(cluster, node, name)
            if os.path.exists(path):
                shutil.copy(path, os.path.join(target, "%s-%s" % (node, name)))
    return target


def run_suite(args):
    """Each scenario in a process of its own (a fresh cluster, its own cleanup), a few cycles each, and the
    checker's self-test; one ok/FAIL line each, then "fault: N passed, N failed"."""
    cycles = 2 if args.cycles is None else args.cycles
    passed = failed = 0
    failures = []
    print("fault: suite, %d cycles a scenario, seeds %d.. (--seed replays), %d nodes, RF %d, min.insync.replicas %d, "
          "producers %s" % (cycles, args.seed, args.nodes, args.rf, args.min_isr, ",".join(args.producers)), flush=True)
    evidence = args.keep_failed or tempfile.mkdtemp(prefix="gregor-fault-failed.")
    summaries = tempfile.mkdtemp(prefix="gregor-fault-suite.")
    if selftest.run(lambda s: None) == 0:
        passed += 1
        print("ok   %-28s the checker on %d synthetic histories; the page-cache cut and the replica comparison" % (
            "self-test", len(selftest.CASES)))
    else:
        failed += 1
        print("FAIL %-28s" % "self-test")
        selftest.run(print)
    for i, name in enumerate(SUITE_ORDER):
        seed = args.seed + i
        command = [sys.executable, os.path.abspath(__file__), "--scenario", name, "--cycles", str(cycles), "--seed",
                   str(seed), "--rf", str(args.rf), "--min-isr", str(args.min_isr), "--nodes", str(args.nodes),
                   "--producers", ",".join(args.producers), "--dll", args.dll, "--keep-failed", evidence,
                   "--json", os.path.join(summaries, name + ".json"), "--partitions", str(args.partitions),
                   "--rate", str(args.rate), "--session-ms", str(args.session_ms), "--heartbeat-ms",
                   str(args.heartbeat_ms), "--replica-lag-ms", str(args.replica_lag_ms)] + \
            (["--hold", str(args.hold)] if args.hold is not None else []) + \
            sum((["--set", s] for s in args.set), []) + (["--idempotent"] if args.idempotent else [])
        started = time.monotonic()
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
            out, err, code = done.stdout, done.stderr, done.returncode
        except subprocess.TimeoutExpired as e:
            out, code = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or ""), -1
            err = (e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or "")
        last = out.strip().splitlines()[-1] if out.strip() else "(no output)"
        seconds = time.monotonic() - started
        if code == PASSED:
            passed += 1
            print("ok   %-28s %4ds  %s" % (name, seconds, last), flush=True)
        else:
            failed += 1
            failures.append(name)
            print("FAIL %-28s %4ds  (exit %s) %s" % (name, seconds, code, last), flush=True)
            try:
                with open(os.path.join(summaries, name + ".json")) as f:
                    summary = json.load(f)
                for text in summary.get("events", []) + ["FINDING: " + x for x in summary.get("findings", [])]:
                    print("    | " + text)
                print("    | examples: %s" % json.dumps(summary.get("examples", {}), sort_keys=True))
                if summary.get("evidence"):
                    print("    | histories and node logs kept in %s" % summary["evidence"])
            except (OSError, ValueError):
                # No summary: the scenario process died; its last output and its stderr (a traceback) say why.
                for text in out.strip().splitlines()[-30:-1] + err.strip().splitlines()[-30:]:
                    print("    | " + text)
    shutil.rmtree(summaries, ignore_errors=True)
    if not args.keep_failed and not os.listdir(evidence):
        os.rmdir(evidence)
    print("fault: %d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


def main(argv):
    args = parse(argv)
    if args.self_test:
        failed = selftest.run(print)
        print("self-test: %d passed, %d failed" % (len(selftest.CASES) + 2 - failed, failed))
        return 1 if failed else 0
    if args.check:
        summary = wl.check_dir(args.check, duplicates_allowed=not args.idempotent)
        print(json.dumps(summary, indent=1, sort_keys=True))
        print(checker.one_line(summary))
        return 0 if summary["valid"] else 1
    if args.cleanup:
        print("fault: removed %s" % (netmod.remove_stale() or "nothing"))
        return 0
    if args.suite:
        return run_suite(args)
    return run_scenario(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
