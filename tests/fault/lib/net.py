"""The fault harness's network: one network namespace per node, each joined by a veth pair to a bridge in the host's
namespace, which also carries the clients' address (the bridge's own, .1), so kcat, Python and .NET clients run on
the host unchanged and reach every node at its own address.

    10.213.S.1   the host (bridge gf<id>br): clients, and the harness itself
    10.213.S.1N  node N's data plane (namespace gf<id>n<N>, eth0): its PLAINTEXT listener, for clients and for
                 replication (followers fetch there)
    10.214.S.1N  node N's control plane (the same eth0): its CONTROLLER listener (the quorum, broker heartbeats,
                 AlterPartition). A subnet of its own, so traffic to it also comes from the sender's 10.214 address.

Two planes let a cut stop replication between nodes while their sessions with the controller go on (the ISR then
shrinks by replica lag rather than by fencing), or cut everything.

A partition is a blackhole route (`ip route add blackhole <peer>/32`) in the namespace of each side for the other
side's addresses: packets a node sends to a peer across the cut are dropped silently and established connections
stall (TCP retransmits), as on a real cut link; a new connect() across the cut fails at once with EINVAL. Healing deletes the routes; the stalled connections
then resume. (nftables is not installed on this machine and tc's actions need kernel modules the container cannot
load; routes need nothing but iproute2.)

Everything made is named with the run's prefix and listed in a state file (/run/gregor-fault/<id>.json) with the
owning pid, so a later run removes what a killed run (SIGKILL, power cut) left behind: see remove_stale().
"""
import json
import os
import subprocess

STATE_DIR = "/run/gregor-fault"
SUBNET_BASE = "10.213"
CONTROL_BASE = "10.214"
HOST = "host"
DATA, CONTROL = "data", "control"
BOTH = (DATA, CONTROL)


def _ip(*args, check=True):
    result = subprocess.run(["ip"] + [str(a) for a in args], capture_output=True, text=True)
    if check and result.returncode != 0:
        raise RuntimeError("ip %s: %s" % (" ".join(str(a) for a in args), result.stderr.strip()))
    return result


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _remove_objects(state):
    for ns in state.get("namespaces", []):
        _ip("netns", "del", ns, check=False)
    for link in state.get("links", []):
        _ip("link", "del", link, check=False)


def remove_stale():
    """Removes the namespaces and links of runs whose owner is gone; returns what it removed."""
    removed = []
    if not os.path.isdir(STATE_DIR):
        return removed
    for name in sorted(os.listdir(STATE_DIR)):
        path = os.path.join(STATE_DIR, name)
        try:
            with open(path) as f:
                state = json.load(f)
        except (OSError, ValueError):
            os.unlink(path)
            continue
        if _alive(state.get("pid", 0)):
            continue
        _remove_objects(state)
        for directory in state.get("dirs", []):
            subprocess.run(["rm", "-rf", directory])
        for pid in state.get("pids", []):
            # Only a process still running from that run's work dir: a pid may have been reused since.
            if _cmdline_mentions(pid, state.get("work")):
                try:
                    os.kill(pid, 9)
                except (ProcessLookupError, PermissionError):
                    pass
        os.unlink(path)
        removed.append(state.get("id"))
    # Objects of ours that no state file names (a run killed between creating one and writing the file).
    known = set()
    for name in os.listdir(STATE_DIR):
        try:
            with open(os.path.join(STATE_DIR, name)) as f:
                s = json.load(f)
            known.update(s.get("namespaces", []) + s.get("links", []))
        except (OSError, ValueError):
            pass
    for line in _ip("netns", "list").stdout.splitlines():
        ns = line.split()[0] if line.strip() else ""
        if ns.startswith("gf") and "n" in ns[2:] and ns not in known and _is_ours(ns):
            _ip("netns", "del", ns, check=False)
            removed.append(ns)
    for line in _ip("-o", "link", "show").stdout.splitlines():
        link = line.split(":")[1].strip().split("@")[0] if ":" in line else ""
        if _is_ours(link) and link not in known:
            _ip("link", "del", link, check=False)
            removed.append(link)
    return removed


def _cmdline_mentions(pid, text):
    if not text:
        return False
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return text.encode() in f.read()
    except OSError:
        return False


def _is_ours(name):
    """gf<4 hex><br|n<digits>|v<digits>>"""
    if len(name) < 8 or not name.startswith("gf"):
        return False
    rid, rest = name[2:6], name[6:]
    return all(c in "0123456789abcdef" for c in rid) and (rest == "br" or (rest[:1] in ("n", "v") and rest[1:].isdigit()))


class Network:
    def __init__(self, run_id, size):
        self.run_id, self.size = run_id, size
        self.bridge = "gf%sbr" % run_id
        self.subnet = None
        self.namespaces, self.links, self.dirs, self.pids = [], [], [], []
        self.work = None  # the run's work dir: the processes to end are those whose command line names it
        self.state_path = os.path.join(STATE_DIR, "%s.json" % run_id)
        self.cuts = set()  # (a, b, plane): traffic between endpoints a and b on that plane dropped, both directions

    def namespace(self, node):
        return "gf%sn%d" % (self.run_id, node)

    def address(self, endpoint, plane=DATA):
        base = SUBNET_BASE if plane == DATA else CONTROL_BASE
        return "%s.%d.%d" % (base, self.subnet, 1 if endpoint == HOST else 10 + endpoint)

    def _save(self):
        os.makedirs(STATE_DIR, exist_ok=True)
        tmp = self.state_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"id": self.run_id, "pid": os.getpid(), "subnet": self.subnet, "namespaces": self.namespaces,
                       "links": self.links, "dirs": self.dirs, "pids": self.pids, "work": self.work}, f)
        os.replace(tmp, self.state_path)

    def own_dir(self, path):
        self.dirs.append(path)
        self._save()

    def own_pid(self, pid):
        self.pids.append(pid)
        self._save()

    def _free_subnet(self):
        used = set()
        for line in _ip("-4", "-o", "addr", "show").stdout.splitlines():
            for word in line.split():
                if word.startswith((SUBNET_BASE + ".", CONTROL_BASE + ".")):
                    used.add(int(word.split(".")[2]))
        for s in range(1, 250):
            if s not in used:
                return s
        raise RuntimeError("no free %s.S.0/24 subnet" % SUBNET_BASE)

    def create(self):
        self.subnet = self._free_subnet()
        self.links.append(self.bridge)
        self._save()
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", "%s/24" % self.address(HOST), "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for node in range(1, self.size + 1):
            ns, host_end, node_end = self.namespace(node), "gf%sv%d" % (self.run_id, node), "gf%sp%d" % (self.run_id, node)
            self.namespaces.append(ns)
            self.links.append(host_end)
            self._save()
            _ip("netns", "add", ns)
            _ip("link", "add", host_end, "type", "veth", "peer", "name", node_end)
            _ip("link", "set", node_end, "netns", ns)
            _ip("-n", ns, "link", "set", node_end, "name", "eth0")
            _ip("-n", ns, "addr", "add", "%s/24" % self.address(node), "dev", "eth0")
            _ip("-n", ns, "addr", "add", "%s/24" % self.address(node, CONTROL), "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("link", "set", host_end, "master", self.bridge)
            _ip("link", "set", host_end, "up")
        return self

    def destroy(self):
        self.heal()
        _remove_objects({"namespaces": self.namespaces, "links": self.links})
        try:
            os.unlink(self.state_path)
        except FileNotFoundError:
            pass

    # --- faults ---------------------------------------------------------------------------------------------

    def _blackhole(self, inside, towards, plane, add):
        if inside == HOST:
            return  # the host's side is never changed: a node's own route is enough to cut both directions of TCP
        _ip("-n", self.namespace(inside), "route", "add" if add else "del", "blackhole",
            "%s/32" % self.address(towards, plane), check=add)

    def cut(self, side_a, side_b, planes=BOTH):
        """Drops the traffic of the given planes between every endpoint of side_a and every endpoint of side_b (node
        ids or HOST; the clients have the data plane only)."""
        for plane in planes:
            for a in side_a:
                for b in side_b:
                    if a == b or (plane == CONTROL and HOST in (a, b)) \
                            or (a, b, plane) in self.cuts or (b, a, plane) in self.cuts:
                        continue
                    self._blackhole(a, b, plane, True)
                    self._blackhole(b, a, plane, True)
                    self.cuts.add((a, b, plane))

    def isolate(self, group, include_host=False):
        """Cuts group off from every other node on both planes (and from the clients too when include_host)."""
        others = [n for n in range(1, self.size + 1) if n not in group] + ([HOST] if include_host else [])
        self.cut(group, others)

    def heal(self):
        for a, b, plane in list(self.cuts):
            self._blackhole(a, b, plane, False)
            self._blackhole(b, a, plane, False)
            self.cuts.discard((a, b, plane))

    def exec_prefix(self, node):
        return ["ip", "netns", "exec", self.namespace(node)]
