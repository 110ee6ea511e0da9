"""A cluster of Gregor nodes on 127.0.0.1 for the cluster-* interop cases and bench/e2e/broker-failover.sh.

Each node is what an operator runs on one machine of a three-machine cluster (README.md): broker and controller in
one process (process.roles=broker,controller), one of the static voters (controller.quorum.voters), a PLAINTEXT
listener for clients and a CONTROLLER listener for the quorum, each on a free port. Its settings go into a config
file, <root>/node-N/server.properties; its log dir (<root>/node-N/data) is formatted with
`gregor storage format --cluster-id ID --config FILE`, one cluster id for all; it runs as
`gregor server --config FILE` with its output in <root>/node-N/server.log.

    with Cluster(dll, root, settings=["broker.session.timeout.ms=3000"]) as cluster:
        cluster.start()                      # format, start all, wait until each node's Metadata lists every broker
        leader = cluster.active_controller() # DescribeQuorum over the CONTROLLER listeners
        cluster.nodes[2].kill()              # kill -9
        cluster.nodes[2].start()             # the same config file and data dir

Every wait has a deadline and fails saying what it saw. A node that exits while it is waited for fails the wait
at once, with its exit code and the end of its log. Leaving the with block (a failed check, an exception, SIGTERM
from run.sh's `timeout`, Ctrl-C) kills every node still running, so nothing outlives the case; on a failure the end
of every node's log is printed to stderr first.
"""
import collections
import os
import queue
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_wire  # noqa: E402
import kafka_wire  # noqa: E402
import quorum_wire  # noqa: E402
from broker import free_port  # noqa: E402

WIRE_ERRORS = (OSError, ValueError, struct.error, IndexError)
NOT_RUNNABLE = "not yet runnable"


class NodeExited(AssertionError):
    pass


class Node:
    def __init__(self, dll, root, node_id, client_port, controller_port):
        self.dll, self.node_id = dll, node_id
        self.client_port, self.controller_port = client_port, controller_port
        self.dir = os.path.join(root, "node-%d" % node_id)
        self.data_dir = os.path.join(self.dir, "data")
        self.config_path = os.path.join(self.dir, "server.properties")
        self.log_path = os.path.join(self.dir, "server.log")
        self.process = None
        self.launched_at = None

    @property
    def bootstrap(self):
        """The address clients use (the PLAINTEXT listener, also the advertised one)."""
        return "127.0.0.1:%d" % self.client_port

    @property
    def controller(self):
        """The CONTROLLER listener: the quorum's RPCs and DescribeQuorum."""
        return "127.0.0.1:%d" % self.controller_port

    def write_config(self, voters, settings):
        os.makedirs(self.data_dir, exist_ok=True)
        lines = ["# node %d of a cluster of combined nodes, written by tests/interop/lib/cluster.py" % self.node_id,
                 "process.roles=broker,controller",
                 "node.id=%d" % self.node_id,
                 "controller.quorum.voters=" + voters,
                 "listeners=PLAINTEXT://%s,CONTROLLER://%s" % (self.bootstrap, self.controller),
                 "advertised.listeners=PLAINTEXT://" + self.bootstrap,
                 "controller.listener.names=CONTROLLER",
                 "log.dirs=" + self.data_dir] + list(settings)
        with open(self.config_path, "w") as config:
            config.write("\n".join(lines) + "\n")

    def command(self):
        return ["dotnet", self.dll, "server", "--config", self.config_path]

    def launch(self):
        """Starts the process and returns at once (start() also waits until it answers)."""
        if self.alive():
            raise AssertionError("node %d is already running (pid %d)" % (self.node_id, self.process.pid))
        with open(self.log_path, "ab") as log_file:
            log_file.write(("--- %s: %s\n" % (time.strftime("%H:%M:%S"), " ".join(self.command()))).encode())
            log_file.flush()
            # A session of its own: a signal meant for the case (Ctrl-C, run.sh's timeout) does not reach the node
            # behind the case's back; the case ends its nodes itself.
            self.process = subprocess.Popen(self.command(), stdout=log_file, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, start_new_session=True)
        self.launched_at = time.monotonic()
        return self

    def check_running(self):
        """Fails at once, with the reason from its log, if the node has exited."""
        if self.process is not None and self.process.poll() is not None:
            tail = self.log_tail(12)
            why = ""
            if NOT_RUNNABLE in tail:
                why = " - this build refuses brokers in a multi-node cluster (the broker side of issue 12 is not in it)"
            raise NodeExited("node %d exited with code %s%s; the end of %s:\n%s" % (
                self.node_id, self.process.returncode, why, self.log_path, tail))

    def wait_answering(self, deadline):
        """Until the client listener answers ApiVersions."""
        while True:
            self.check_running()
            if kafka_wire.api_versions_ok(self.bootstrap, timeout=1.0):
                return time.monotonic() - self.launched_at
            if time.monotonic() > deadline:
                raise AssertionError("node %d did not answer ApiVersions on %s within %.0f s of its start; the end of %s:\n%s"
                                     % (self.node_id, self.bootstrap, time.monotonic() - self.launched_at,
                                        self.log_path, self.log_tail(12)))
            time.sleep(0.1)

    def start(self, timeout=60):
        """Starts the node on its config file and data dir; returns the seconds until it answered."""
        self.launch()
        return self.wait_answering(time.monotonic() + timeout)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """kill -9: no shutdown hook, no controlled shutdown, no flush."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def terminate(self):
        """SIGTERM, and returns at once (the caller times the exit)."""
        self.process.send_signal(signal.SIGTERM)

    def stop(self, timeout=30):
        """SIGTERM and the exit code; after timeout seconds a SIGKILL, and a failure."""
        self.terminate()
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("node %d did not exit within %d s of SIGTERM (killed)" % (self.node_id, timeout))

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, "rb") as log_file:
                log_file.seek(0, os.SEEK_END)
                log_file.seek(max(0, log_file.tell() - 200 * lines))
                text = log_file.read().decode(errors="replace")
        except FileNotFoundError:
            return "(no log yet)"
        return "\n".join(text.splitlines()[-lines:])


class Cluster:
    def __init__(self, dll, root, size=3, settings=()):
        self.dll, self.root, self.settings = dll, root, list(settings)
        ports = set()
        while len(ports) < 2 * size:
            ports.add(free_port())
        ports = sorted(ports)
        self.nodes = {n: Node(dll, root, n, ports[n - 1], ports[size + n - 1]) for n in range(1, size + 1)}
        self.voters = ",".join("%d@%s" % (n, node.controller) for n, node in self.nodes.items())
        self.cluster_id = None
        self._previous_sigterm = None

    # --- lifetime -------------------------------------------------------------------------------------------

    def __enter__(self):
        # run.sh's `timeout` ends a case with SIGTERM, which by default would end Python without running the
        # finally blocks; as SystemExit it unwinds through __exit__, which kills the nodes.
        if threading.current_thread() is threading.main_thread():
            self._previous_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        return self

    def __exit__(self, kind, value, traceback):
        if kind is not None:
            print("--- the cluster's logs (tail) ---", file=sys.stderr)
            for node in self.nodes.values():
                state = "running" if node.alive() else "exited %s" % (node.process and node.process.returncode)
                print("--- node %d (%s), %s:\n%s" % (node.node_id, state, node.log_path, node.log_tail(15)),
                      file=sys.stderr)
        self.close()
        if self._previous_sigterm is not None:
            signal.signal(signal.SIGTERM, self._previous_sigterm)
        return False

    def close(self):
        """Kills every node still running (the case's own stops are done before)."""
        for node in self.nodes.values():
            if node.alive():
                node.kill()

    # --- setting up -----------------------------------------------------------------------------------------

    def format(self):
        """Writes the config files and formats every node's data dir with one new cluster id."""
        self.cluster_id = self._gregor("storage", "random-uuid").strip()
        for node in self.nodes.values():
            node.write_config(self.voters, self.settings)
            self._gregor("storage", "format", "--cluster-id", self.cluster_id, "--config", node.config_path)
        return self.cluster_id

    def start(self, timeout=120):
        """Formats (the first time), starts every node at once (a voter alone cannot elect, so they must come up
        together), and waits until each answers and each one's Metadata lists every node as a broker. Returns the
        seconds that took."""
        if self.cluster_id is None:
            self.format()
        started = time.monotonic()
        deadline = started + timeout
        for node in self.nodes.values():
            node.launch()
        for node in self.nodes.values():
            node.wait_answering(deadline)
        self.wait_brokers(list(self.nodes), timeout=max(1.0, deadline - time.monotonic()))
        return time.monotonic() - started

    def _gregor(self, *args):
        result = subprocess.run(["dotnet", self.dll] + list(args), capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError("gregor %s exited %d:\n%s%s" % (" ".join(args), result.returncode, result.stdout,
                                                                  result.stderr))
        return result.stdout

    # --- looking at it --------------------------------------------------------------------------------------

    @property
    def bootstraps(self):
        return [node.bootstrap for node in self.nodes.values()]

    @property
    def bootstrap_list(self):
        return ",".join(self.bootstraps)

    @property
    def advertised(self):
        """{node id: the address Metadata should give for it}."""
        return {n: node.bootstrap for n, node in self.nodes.items()}

    def running(self, excluding=()):
        return [n for n, node in self.nodes.items() if node.alive() and n not in excluding]

    def metadata(self, via, topics=None, timeout=3.0):
        """Metadata v4 from node `via`, or None when it does not answer."""
        try:
            return cluster_wire.metadata(self.nodes[via].bootstrap, topics, timeout)
        except WIRE_ERRORS:
            return None

    def describe_quorum(self, node, timeout=2.0):
        """DescribeQuorum over node's CONTROLLER listener: (error, leader, epoch, high watermark, {voter: end}), or None."""
        try:
            return quorum_wire.describe_quorum(self.nodes[node].controller, timeout=timeout)
        except WIRE_ERRORS:
            return None

    def wait(self, what, probe, timeout, interval=0.05, watch=()):
        """Calls probe() until it returns something truthy and returns (seconds waited, that value); fails after
        timeout seconds saying what (text, or a function giving it). The nodes in watch must stay up meanwhile."""
        started = time.monotonic()
        while True:
            for n in watch:
                self.nodes[n].check_running()
            value = probe()
            if value:
                return time.monotonic() - started, value
            if time.monotonic() - started > timeout:
                raise AssertionError("not within %.0f s: %s" % (timeout, what() if callable(what) else what))
            time.sleep(interval)

    def wait_brokers(self, ids, via=None, timeout=60):
        """Until the Metadata of every node in via (default: every running node) lists exactly the brokers ids, each
        at its advertised address; returns the seconds waited."""
        via = list(via) if via is not None else self.running()
        want = {n: self.nodes[n].bootstrap for n in ids}
        seen = {}

        def probe():
            for n in via:
                seen[n] = self.metadata(n, topics=[])
            return all(m is not None and m.brokers == want for m in seen.values())
        took, _ = self.wait(lambda: "Metadata listing brokers %s through nodes %s; they list %s" % (
            want, via, {n: m and m.brokers for n, m in seen.items()}), probe, timeout, interval=0.1, watch=via)
        return took

    def active_controller(self, among=None, timeout=30):
        """The node that answers DescribeQuorum as the quorum's leader (among the running nodes by default), once
        one does."""
        seen = {}

        def probe():
            for n in (among if among is not None else self.running()):
                answer = seen[n] = self.describe_quorum(n)
                if answer and answer[0] == 0 and answer[1] == n:
                    return n
            return None
        return self.wait(lambda: "a node answering DescribeQuorum as leader: %s" % seen, probe, timeout)[1]

    def leaders(self, topic, via):
        """{partition: leader} of topic as node via sees it ({} when it does not answer or know the topic)."""
        found = self.metadata(via, [topic])
        return found.leaders(topic) if found else {}

    def wait_leaders(self, topic, partitions, via=None, timeout=30):
        """Until every node in via (default: the running ones) shows each of the topic's partitions with a leader,
        the same one on each node; returns {partition: leader}."""
        via = list(via) if via is not None else self.running()
        seen = {}

        def probe():
            for n in via:
                seen[n] = self.leaders(topic, n)
            views = list(seen.values())
            if all(len(v) == partitions and all(leader >= 0 for leader in v.values()) for v in views) \
                    and all(v == views[0] for v in views):
                return views[0]
            return None
        return self.wait(lambda: "every partition of %s (%d) led, alike on nodes %s; they show %s" % (
            topic, partitions, via, seen), probe, timeout, interval=0.1, watch=via)[1]

    def wait_leader(self, topic, partitions, want, via, since, timeout):
        """Seconds from `since` (a time.monotonic()) until a node in via shows each of partitions led by want (-1: no
        leader), and the leaders {partition: leader} that node showed then. Fails `timeout` seconds after `since`,
        with what each node showed; the nodes in via must stay up."""
        seen = {}

        def probe():
            for n in via:
                leaders = seen[n] = self.leaders(topic, n)
                if leaders and all(leaders.get(p) == want for p in partitions):
                    return time.monotonic(), leaders
            return None
        _, (at, leaders) = self.wait(lambda: "partitions %s of %s led by %d through nodes %s; they show %s" % (
            partitions, topic, want, via, seen), probe, max(0.0, since + timeout - time.monotonic()), watch=via)
        return at - since, leaders

    def terminate_and_watch(self, node, topic, partitions, via, timeout=30):
        """SIGTERM to node, then watches both its exit and, through the nodes in via, its partitions losing their
        leader. Returns (exit code, seconds to the exit, seconds until a node in via showed every one of partitions
        with leader -1, the leaders it showed then). Fails (killing the node if it still runs) when either has not
        happened within timeout seconds."""
        process = self.nodes[node].process
        signalled_at = time.monotonic()
        self.nodes[node].terminate()
        exit_s = gone_s = shown = None
        seen = {}
        while exit_s is None or gone_s is None:
            now = time.monotonic()
            if exit_s is None and process.poll() is not None:
                exit_s = now - signalled_at
            for n in via if gone_s is None else ():
                seen[n] = self.leaders(topic, n)
                if seen[n] and all(seen[n].get(p) == -1 for p in partitions):
                    gone_s, shown = now - signalled_at, seen[n]
                    break
            if now - signalled_at > timeout:
                if self.nodes[node].alive():
                    self.nodes[node].kill()
                raise AssertionError("%d s after SIGTERM of node %d: exited after %s s (code %s); partitions %s of %s "
                                     "through nodes %s: %s" % (timeout, node, exit_s, process.returncode, partitions,
                                                              topic, via, seen))
            time.sleep(0.05)
        return process.returncode, exit_s, gone_s, shown

    def led_by(self, topic, node, via=None):
        """The partitions node leads, as a running node (other than node, by default) sees them."""
        via = via if via is not None else self.running(excluding=[node])[0]
        return sorted(p for p, leader in self.leaders(topic, via).items() if leader == node)


def create_topics_until_accepted(cluster, via, since, timeout=20.0, interval=0.2, prefix="probe"):
    """CreateTopics of a new one-partition topic, sent every `interval` seconds to the nodes in `via` in turn, each
    on a connection (and thread) of its own so that a request hanging on a dead controller does not hold up the
    next, until one is accepted. Returns (seconds from `since` (a time.monotonic()) to the first acceptance, the node
    that accepted, {answer: count} of the other answers). Fails after timeout seconds with what came back."""
    results = queue.Queue()
    answers = collections.Counter()

    def attempt(node, name):
        try:
            error, message = quorum_wire.create_topic_answer(cluster.nodes[node].bootstrap, name, 1, timeout=5.0,
                                                             timeout_ms=5000)
            results.put((time.monotonic(), node, error, message))
        except WIRE_ERRORS as e:
            results.put((time.monotonic(), node, None, type(e).__name__))

    sent = 0
    next_send = time.monotonic()
    while True:
        now = time.monotonic()
        if now >= next_send:
            node = via[sent % len(via)]
            threading.Thread(target=attempt, args=(node, "%s-%d" % (prefix, sent)), daemon=True).start()
            sent += 1
            next_send = now + interval
        try:
            done, node, error, message = results.get(timeout=max(0.0, next_send - time.monotonic()))
        except queue.Empty:
            if time.monotonic() - since > timeout:
                raise AssertionError("no CreateTopics accepted through nodes %s within %.0f s; %d sent, answers: %s"
                                     % (via, timeout, sent, dict(answers)))
            continue
        if error == 0:
            return done - since, node, dict(answers)
        answers["error %s" % error if error is not None else message] += 1
        if time.monotonic() - since > timeout:
            raise AssertionError("no CreateTopics accepted through nodes %s within %.0f s; %d sent, answers: %s"
                                 % (via, timeout, sent, dict(answers)))


def _exit_on_sigterm(signum, frame):
    raise SystemExit(128 + signum)
