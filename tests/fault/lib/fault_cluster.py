"""Gregor nodes as real processes, each in its own network namespace (net.py), with the faults the harness injects:
kill -9, SIGSTOP/SIGCONT, network cuts, and a restart that loses the unflushed tail of the logs (segments.py).

Each node is broker and controller (process.roles=broker,controller) and one of the static voters, listening on
its own addresses: PLAINTEXT on 10.213.S.1N:9092 (advertised: clients and replication) and CONTROLLER on
10.214.S.1N:9093 (net.py's two planes).
Its config file, formatted data dir and log are under <root>/node-N, as tests/interop/lib/cluster.py lays them out.
The process runs as `ip netns exec <ns> dotnet gregor.dll server --config FILE` (ip execs, so the pid is the
broker's and signals reach it directly), in a session of its own so Ctrl-C of the harness does not reach it."""
import os
import signal
import subprocess
import time

import segments
import wire
from net import CONTROL, HOST

CLIENT_PORT, CONTROLLER_PORT = 9092, 9093


class NodeExited(AssertionError):
    pass


class FaultNode:
    def __init__(self, cluster, node_id):
        self.cluster, self.node_id = cluster, node_id
        self.dir = os.path.join(cluster.root, "node-%d" % node_id)
        self.data_dir = os.path.join(self.dir, "data")
        self.config_path = os.path.join(self.dir, "server.properties")
        self.log_path = os.path.join(self.dir, "server.log")
        self.process = None
        self.paused = False

    @property
    def address(self):
        return self.cluster.net.address(self.node_id)

    @property
    def bootstrap(self):
        return "%s:%d" % (self.address, CLIENT_PORT)

    @property
    def controller(self):
        return "%s:%d" % (self.cluster.net.address(self.node_id, CONTROL), CONTROLLER_PORT)

    def write_config(self, voters, settings):
        os.makedirs(self.data_dir, exist_ok=True)
        lines = ["# node %d, written by tests/fault/lib/fault_cluster.py" % self.node_id,
                 "process.roles=broker,controller", "node.id=%d" % self.node_id,
                 "controller.quorum.voters=" + voters,
                 "listeners=PLAINTEXT://%s,CONTROLLER://%s" % (self.bootstrap, self.controller),
                 "advertised.listeners=PLAINTEXT://" + self.bootstrap,
                 "controller.listener.names=CONTROLLER", "log.dirs=" + self.data_dir] + list(settings)
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def launch(self):
        if self.alive():
            raise AssertionError("node %d is already running" % self.node_id)
        command = self.cluster.net.exec_prefix(self.node_id) + ["dotnet", self.cluster.dll, "server", "--config",
                                                                 self.config_path]
        with open(self.log_path, "ab") as log:
            log.write(("--- %s: %s\n" % (time.strftime("%H:%M:%S"), " ".join(command))).encode())
            log.flush()
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        self.paused = False
        self.cluster.net.own_pid(self.process.pid)

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def check_running(self):
        if self.process is not None and self.process.poll() is not None:
            raise NodeExited("node %d exited with code %s; the end of %s:\n%s" % (
                self.node_id, self.process.returncode, self.log_path, self.log_tail(15)))

    def kill(self):
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
        self.paused = False

    def pause(self):
        self.process.send_signal(signal.SIGSTOP)
        self.paused = True

    def resume(self):
        if self.alive():
            self.process.send_signal(signal.SIGCONT)
        self.paused = False

    def stop(self, timeout=20):
        if not self.alive():
            return
        self.resume()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines=20):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 250 * lines))
                return "\n".join(f.read().decode(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"


class FaultCluster:
    def __init__(self, dll, root, net, settings=()):
        self.dll, self.root, self.net, self.settings = dll, root, net, list(settings)
        self.nodes = {n: FaultNode(self, n) for n in range(1, net.size + 1)}
        self.voters = ",".join("%d@%s" % (n, node.controller) for n, node in self.nodes.items())

    def _gregor(self, *args):
        result = subprocess.run(["dotnet", self.dll] + list(args), capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise AssertionError("gregor %s exited %d: %s%s" % (" ".join(args), result.returncode, result.stdout,
                                                                 result.stderr))
        return result.stdout

    def format(self):
        cluster_id = self._gregor("storage", "random-uuid").strip()
        for node in self.nodes.values():
            node.write_config(self.voters, self.settings)
            self._gregor("storage", "format", "--cluster-id", cluster_id, "--config", node.config_path)
        return cluster_id

    @property
    def bootstrap_list(self):
        return ",".join(node.bootstrap for node in self.nodes.values())

    def running(self):
        return [n for n, node in self.nodes.items() if node.alive() and not node.paused]

    def wait(self, what, probe, timeout, interval=0.1, watch=()):
        started = time.monotonic()
        while True:
            for n in watch:
                self.nodes[n].check_running()
            value = probe()
            if value:
                return value
            if time.monotonic() - started > timeout:
                raise AssertionError("not within %.0f s: %s" % (timeout, what() if callable(what) else what))
            time.sleep(interval)

    def start_all(self, timeout=120):
        for node in self.nodes.values():
            node.launch()
        self.wait_brokers(list(self.nodes), timeout=timeout)

    def metadata(self, via, topics=()):
        return wire.try_metadata(self.nodes[via].bootstrap, list(topics), timeout=2.0)

    def wait_brokers(self, ids, timeout=60):
        """Until every running node's Metadata lists exactly the brokers ids."""
        seen = {}

        def probe():
            for n in self.running():
                m = self.metadata(n)
                seen[n] = m and sorted(m[0])
            return all(seen.get(n) == sorted(ids) for n in self.running())
        return self.wait(lambda: "Metadata listing brokers %s; running nodes show %s" % (sorted(ids), seen), probe,
                         timeout, watch=self.running())

    def partitions(self, topic, via=None):
        """{partition: (leader, replicas, isr)} as a running node sees them (the first that answers), or {}."""
        for n in ([via] if via else self.running()):
            m = self.metadata(n, [topic])
            if m and topic in m[2] and m[2][topic][0] in (0, 5):
                return {p: (leader, replicas, isr) for p, (_, leader, replicas, isr) in m[2][topic][1].items()}
        return {}

    def wait_led(self, topic, count, timeout=60, via=None):
        """Until each of the topic's partitions has a leader that is running, alike in every running node's view."""
        seen = {}

        def probe():
            views = []
            for n in (via or self.running()):
                state = self.partitions(topic, n)
                seen[n] = {p: s[0] for p, s in state.items()}
                views.append(seen[n])
            ok = views and all(len(v) == count and all(l in self.running() for l in v.values()) for v in views) \
                and all(v == views[0] for v in views)
            return views[0] if ok else None
        return self.wait(lambda: "every partition of %s led by a running node, alike everywhere: %s" % (topic, seen),
                         probe, timeout, watch=self.running())

    def restart_losing_page_cache(self, n, topic, rng):
        """kill -9, cut the unflushed tail of topic's active segments, start again."""
        node = self.nodes[n]
        node.kill()
        report = segments.lose_unflushed(node.data_dir, topic, rng)
        node.launch()
        return report

    def close(self):
        for node in self.nodes.values():
            if node.alive():
                node.resume()
                node.kill()


def cut_description(groups):
    return " | ".join(",".join("clients" if e == HOST else str(e) for e in g) for g in groups)
