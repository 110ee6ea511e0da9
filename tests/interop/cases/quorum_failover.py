"""A metadata quorum of three controller-only processes (process.roles=controller, static
controller.quorum.voters on 127.0.0.1), formatted with one cluster id by `gregor storage format`.
They elect a leader; a metadata change (IncrementalAlterConfigs of a cluster-wide config; a quorum
with no brokers cannot place a topic's partitions, so CreateTopics is refused, as on Kafka) sent to
the active controller commits on all three (every voter's log end offset reaches the high watermark,
and their metadata segment files are byte-identical). kill -9 of the active controller: a new one is
elected and the next change succeeds again; the time from the kill to that success is printed (the
issue asks for CreateTopics within 10 s). Every member snapshots after each change (a tiny
metadata.log.max.record.bytes.between.snapshots), so by the time the killed node restarts the
leader's log starts past the end of the killed node's: it can only catch up by FetchSnapshot. The killed node restarts
on its data and catches up to the leader's log end. SIGTERM of the new leader: it resigns
(EndQuorumEpoch) and exits 0, and the last two elect again."""
import glob
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from broker import Broker, free_port  # noqa: E402
from interop import check, env, gregor, log, scratch  # noqa: E402
import quorum_wire  # noqa: E402

NODES = (1, 2, 3)
ports = {n: free_port() for n in NODES}
voters = ",".join("%d@127.0.0.1:%d" % (n, ports[n]) for n in NODES)
cluster_id = subprocess.run(["dotnet", env("GREGOR_DLL"), "storage", "random-uuid"], check=True,
                            capture_output=True, text=True).stdout.strip()


def settings(n):
    return ["process.roles=controller", "node.id=%d" % n, "controller.quorum.voters=" + voters,
            "listeners=CONTROLLER://127.0.0.1:%d" % ports[n], "controller.listener.names=CONTROLLER",
            "metadata.log.max.record.bytes.between.snapshots=1"]


class Controller(Broker):
    def __init__(self, n):
        super().__init__(env("GREGOR_DLL"), scratch("quorum-%d" % n), ports[n], scratch("quorum-%d.log" % n),
                         extra_settings=settings(n))
        self.node = n

    def command(self):
        command = ["dotnet", self.dll, "server", "--set", "log.dirs=" + self.data_dir]
        for setting in self.extra_settings:
            command += ["--set", setting]
        return command

    def start(self):
        # A controller serves no Produce, so readiness is its DescribeQuorum answer, not Broker's check.
        os.makedirs(self.data_dir, exist_ok=True)
        log_file = open(self.log_path, "ab")
        self.process = subprocess.Popen(self.command(), stdout=log_file, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log_file.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            check(self.process.poll() is None, "controller %d exited with %s (log %s)", self.node,
                  self.process.returncode, self.log_path)
            try:
                quorum_wire.describe_quorum(self.bootstrap, timeout=1.0)
                return self
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("controller %d did not answer" % self.node)


def describe(node):
    try:
        return quorum_wire.describe_quorum(controllers[node].bootstrap, timeout=2.0)
    except OSError:
        return None


def leader(among, timeout):
    """The node that answers DescribeQuorum as leader, once one does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for n in among:
            answer = describe(n)
            if answer and answer[0] == 0:
                return n, answer
        time.sleep(0.05)
    raise AssertionError("no leader among %s within %ss" % (among, timeout))


def change_until_accepted(among, value, timeout):
    """Sends a metadata change to each node in turn until one accepts it; returns the seconds it took."""
    started, answers = time.monotonic(), {}
    while time.monotonic() - started < timeout:
        for n in among:
            try:
                error = quorum_wire.set_cluster_config(controllers[n].bootstrap, "log.retention.ms", value)
            except OSError as e:
                answers[n] = str(e)
                continue
            answers[n] = error
            if error == 0:
                return time.monotonic() - started, n
        time.sleep(0.05)
    raise AssertionError("the change to %s was not accepted within %ss: %s" % (value, timeout, answers))


def caught_up(lead, nodes, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = describe(lead)
        if answer and answer[0] == 0 and all(answer[4].get(n) == answer[3] for n in nodes):
            return answer
        time.sleep(0.1)
    raise AssertionError("voters %s did not reach the high watermark: %s" % (nodes, describe(lead)))


controllers = {n: Controller(n) for n in NODES}
try:
    for n in NODES:
        gregor("storage", "format", "--cluster-id", cluster_id, *sum((["--set", s] for s in
               ["log.dirs=" + controllers[n].data_dir] + settings(n)), []))
    for n in NODES:
        controllers[n].start()
    first, answer = leader(NODES, 30)
    log("node %d leads epoch %d", first, answer[2])

    took, accepted_by = change_until_accepted(NODES, "100001", 15)
    check(accepted_by == first, "the change was accepted by %d, the leader is %d", accepted_by, first)
    error = quorum_wire.create_topic(controllers[first].bootstrap, "quorum-a", 3)
    check(error == 38, "CreateTopics with no broker registered: %d, expected INVALID_REPLICATION_FACTOR (38)", error)
    answer = caught_up(first, NODES, 10)
    # Each member snapshots what it folded; a snapshot at the same offset must be the same bytes on every member.
    def snapshots(n):
        return {os.path.basename(p): open(p, "rb").read()
                for p in glob.glob(os.path.join(controllers[n].data_dir, "__cluster_metadata-0", "*.checkpoint"))}
    deadline = time.monotonic() + 10
    while True:  # a follower folds (and snapshots) once it hears the new high watermark
        held = {n: snapshots(n) for n in NODES}
        common = set.intersection(*(set(h) for h in held.values()))
        if common or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    check(common, "no snapshot at one offset on all three: %s", {n: sorted(h) for n, h in held.items()})
    check(all(len({held[n][name] for n in NODES}) == 1 for name in common), "the voters' snapshots differ: %s", sorted(common))
    log("config change committed through node %d; high watermark %d on all three, identical snapshots %s",
        first, answer[3], sorted(common))

    killed_end = answer[4][first]
    controllers[first].kill()
    rest = [n for n in NODES if n != first]
    took, second = change_until_accepted(rest, "100002", 20)
    log("kill -9 of controller %d: a change accepted again by node %d %.2f s later", first, second, took)
    check(took < 10, "a change took %.1f s to succeed after the controller died", took)
    change_until_accepted([second], "100004", 10)

    def snapshot_ends(n):
        return [int(os.path.basename(p)[:20]) for p in
                glob.glob(os.path.join(controllers[n].data_dir, "__cluster_metadata-0", "*.checkpoint"))]
    leader_start = max(snapshot_ends(second) or [0])
    check(leader_start > killed_end, "the leader's log starts at %d, not past the killed node's end %d", leader_start, killed_end)

    controllers[first].start()
    answer = caught_up(second, NODES, 15)
    check(max(snapshot_ends(first) or [0]) >= leader_start, "node %d holds no snapshot reaching %d: %s", first,
          leader_start, snapshot_ends(first))
    log("node %d restarted and caught up to %d through the leader's snapshot at %d (its own log ended at %d)",
        first, answer[3], leader_start, killed_end)

    # gregor cluster quorum, bootstrapped from the controllers (they serve no Metadata), agrees.
    out = subprocess.run(["dotnet", env("GREGOR_DLL"), "cluster", "quorum", "--replication", "--output", "json", "--bootstrap",
                          ",".join(controllers[n].bootstrap for n in NODES)], check=True, capture_output=True, text=True).stdout
    check('"Leader"' in out and all('"NodeId": %d' % n in out or '"nodeId": %d' % n in out for n in NODES),
          "gregor cluster quorum --replication: %s", out)

    controllers[second].stop()
    check(controllers[second].process.returncode == 0, "SIGTERM: controller %d exited with %s", second,
          controllers[second].process.returncode)
    last = [n for n in NODES if n != second]
    took, third = change_until_accepted(last, "100003", 20)
    log("SIGTERM of controller %d: it exited 0, node %d accepted a change %.2f s later", second, third, took)
finally:
    for c in controllers.values():
        if c.alive():
            c.kill()
