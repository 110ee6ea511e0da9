"""Hostile clients for the attack tests (issue 11: "a broker no client can exhaust"), each run in a
process of its own so that it competes with the legitimate client only for CPU, as a real attacker
would:

  attacks.py NAME BOOTSTRAP PARAMS_JSON

prints "ready" once the attack is in place, keeps it up until SIGTERM (or until stdin closes), then
closes its connections and prints one JSON line of what it saw. An attack is a class with start(),
stop() and stats(); ATTACKS names them. The harness that runs them against a broker while a normal
client produces and consumes is siege.py.

The Fetch attacks are issue 11's: FetchFlood, connections that each ask for every partition of a
topic with max_bytes 2^31-1 and read the (whole) response as fast as they can, again and again; and
SlowReaders, clients that ask the same and never read.
"""
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafka_wire as wire  # noqa: E402

HANGUP = select.POLLHUP | select.POLLERR | select.POLLRDHUP


def address(bootstrap):
    host, port = bootstrap.rsplit(":", 1)
    return host, int(port)


def connect(bootstrap, source=None, receive_buffer=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    if source:
        sock.bind((source, 0))
    sock.settimeout(10)
    sock.connect(address(bootstrap))
    return sock


def closed_by_peer(sock):
    """True once the broker has closed (FIN or reset), without reading what it sent."""
    poller = select.poll()
    poller.register(sock, HANGUP)
    return bool(poller.poll(0))


class Watcher:
    """Notes, every 50 ms, when each watched connection was closed by the broker."""

    def __init__(self):
        self.lock = threading.Lock()
        self.open = {}  # fd -> (socket, opened at)
        self.closed = []  # seconds each stayed open
        self.stopping = threading.Event()
        threading.Thread(target=self.run, daemon=True).start()

    def add(self, sock):
        with self.lock:
            self.open[sock.fileno()] = (sock, time.monotonic())

    def run(self):
        while not self.stopping.wait(0.05):
            with self.lock:
                sockets = list(self.open.items())
            poller = select.poll()
            for fd, _ in sockets:
                poller.register(fd, HANGUP)
            now = time.monotonic()
            for fd, _event in poller.poll(0):
                with self.lock:
                    entry = self.open.pop(fd, None)
                if entry:
                    self.closed.append(now - entry[1])
                    entry[0].close()

    def close_all(self):
        self.stopping.set()
        with self.lock:
            for sock, _ in self.open.values():
                sock.close()
            self.open.clear()

    def summary(self):
        with self.lock:
            closed = sorted(self.closed)
            return {"open": len(self.open), "closed_by_broker": len(closed),
                    "longest_open_s": round(closed[-1], 2) if closed else None}


class Prefixes:
    """Many connections that each send a 4-byte size prefix (100 MiB) and nothing more."""

    def __init__(self, bootstrap, count=900, size=100 << 20):
        self.bootstrap, self.count, self.size = bootstrap, count, size
        self.watcher = Watcher()
        self.failed = 0

    def start(self):
        for _ in range(self.count):
            try:
                sock = connect(self.bootstrap)
                sock.sendall(struct.pack(">i", self.size))
                self.watcher.add(sock)
            except OSError:
                self.failed += 1  # refused, or the broker is gone

    def stop(self):
        self.watcher.close_all()

    def stats(self):
        return dict(self.watcher.summary(), connections=self.count, connect_failed=self.failed)


class BigBodies:
    """Connections that announce 100 MiB requests and send all but the last byte, then hold them;
    a connection the broker closes is opened again (a persistent attacker). Sending is paced to
    rate_mb_s in all, so the attacker spends memory, not the machine's CPUs."""

    def __init__(self, bootstrap, count=60, size=100 << 20, rate_mb_s=200):
        self.bootstrap, self.count, self.size = bootstrap, count, size
        self.rate = rate_mb_s * 1e6
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.sent = self.connects = self.closed = self.completed_bodies = 0
        self.allowance, self.last = 0.0, time.monotonic()
        self.threads = []

    def take(self, amount):
        while not self.stopping.is_set():
            with self.lock:
                now = time.monotonic()
                self.allowance = min(self.rate * 0.1, self.allowance + (now - self.last) * self.rate)
                self.last = now
                if self.allowance >= amount:
                    self.allowance -= amount
                    return True
            time.sleep(0.005)
        return False

    def attacker(self):
        chunk = b"\x00" * (256 << 10)
        while not self.stopping.is_set():
            try:
                sock = connect(self.bootstrap)
            except OSError:
                time.sleep(0.1)
                continue
            with self.lock:
                self.connects += 1
            sock.settimeout(0.5)
            try:
                sock.sendall(struct.pack(">i", self.size))
                remaining = self.size - 1
                while remaining and not self.stopping.is_set():
                    piece = chunk[:min(len(chunk), remaining)]
                    if not self.take(len(piece)):
                        break
                    offset = 0
                    while offset < len(piece) and not self.stopping.is_set():
                        try:
                            offset += sock.send(piece[offset:])
                        except socket.timeout:
                            continue  # the broker stopped reading: keep trying
                    remaining -= offset
                    with self.lock:
                        self.sent += offset
                if not remaining:
                    with self.lock:
                        self.completed_bodies += 1
                while not self.stopping.is_set() and not closed_by_peer(sock):
                    time.sleep(0.05)
                if not self.stopping.is_set():
                    raise ConnectionResetError("closed by the broker")
            except OSError:
                with self.lock:
                    self.closed += 1
            finally:
                sock.close()

    def start(self):
        for _ in range(self.count):
            thread = threading.Thread(target=self.attacker, daemon=True)
            thread.start()
            self.threads.append(thread)
        time.sleep(1.0)  # the first bodies are under way

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(10)

    def stats(self):
        return {"connections": self.count, "connects": self.connects, "closed_by_broker": self.closed,
                "sent_mb": round(self.sent / 1e6), "bodies_all_but_last_byte": self.completed_bodies}


class Connections:
    """Connections opened as fast as possible from other loopback addresses and held silent."""

    def __init__(self, bootstrap, per_address=1000, sources=("127.0.0.2", "127.0.0.3")):
        self.bootstrap, self.per_address, self.sources = bootstrap, per_address, sources
        self.watchers = {source: Watcher() for source in sources}
        self.refused = 0

    def start(self):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        for _ in range(self.per_address):
            for source in self.sources:
                try:
                    self.watchers[source].add(connect(self.bootstrap, source=source))
                except OSError:
                    self.refused += 1
        # Over-limit connections are closed at once; give the watchers time to see them all.
        settled, last = time.monotonic(), None
        while time.monotonic() - settled < 2.0:
            now = [w.summary()["closed_by_broker"] for w in self.watchers.values()]
            if now != last:
                settled, last = time.monotonic(), now
            time.sleep(0.1)

    def stop(self):
        for watcher in self.watchers.values():
            watcher.close_all()

    def stats(self):
        return {"attempted": self.per_address * len(self.sources), "connect_failed": self.refused,
                "by_source": {source: w.summary() for source, w in self.watchers.items()}}


class Idle:
    """Silent connections, and connections sending one byte of a request a second."""

    def __init__(self, bootstrap, silent=50, trickle=50, interval=1.0):
        self.bootstrap, self.silent, self.trickle, self.interval = bootstrap, silent, trickle, interval
        self.silent_watch, self.trickle_watch = Watcher(), Watcher()
        self.stopping = threading.Event()
        self.trickling = []

    def start(self):
        for _ in range(self.silent):
            self.silent_watch.add(connect(self.bootstrap))
        for _ in range(self.trickle):
            sock = connect(self.bootstrap)
            self.trickle_watch.add(sock)
            self.trickling.append(sock)
        threading.Thread(target=self.drip, daemon=True).start()

    def drip(self):
        frame = wire.request(wire.API_API_VERSIONS, 0, 1, b"\x00" * 200)
        position = 0
        while not self.stopping.wait(self.interval):
            for sock in self.trickling:
                try:
                    sock.send(frame[position:position + 1])
                except OSError:
                    pass
            position += 1

    def stop(self):
        self.stopping.set()
        self.silent_watch.close_all()
        self.trickle_watch.close_all()

    def stats(self):
        return {"silent": dict(self.silent_watch.summary(), connections=self.silent),
                "trickle": dict(self.trickle_watch.summary(), connections=self.trickle)}


class ConnectionThreads:
    """An attack run as `count` threads, each calling self.connection() until stopped."""

    def __init__(self, bootstrap, count):
        self.bootstrap, self.count = bootstrap, count
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = []

    def start(self):
        self.threads = [threading.Thread(target=self.connection, daemon=True) for _ in range(self.count)]
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join(5)


class FetchFlood(ConnectionThreads):
    """count connections, each asking for partitions 0..partitions-1 of topic from offset 0 with
    max_bytes (and each partition's) 2^31-1 and reading the whole response before asking again;
    a connection the broker closes is opened again."""

    def __init__(self, bootstrap, topic, count=10, partitions=50, max_bytes=2 ** 31 - 1):
        super().__init__(bootstrap, count)
        self.request = wire.fetch_v4(1, topic, range(partitions), 0, max_bytes, max_bytes)
        self.responses = self.bytes_read = self.largest = self.reconnects = 0

    def read_exactly(self, sock, size, buffer):
        view, left = memoryview(buffer), size
        while left > 0 and not self.stopping.is_set():
            got = sock.recv_into(view, min(left, len(buffer)))
            if got == 0:
                raise ConnectionError("closed by the broker")
            left -= got
        return size - left

    def connection(self):
        buffer = bytearray(1 << 20)
        while not self.stopping.is_set():
            try:
                with connect(self.bootstrap) as sock:
                    sock.settimeout(60)
                    while not self.stopping.is_set():
                        sock.sendall(self.request)
                        self.read_exactly(sock, 4, buffer)
                        size = struct.unpack(">i", bytes(buffer[:4]))[0]
                        read = self.read_exactly(sock, size, buffer)
                        with self.lock:
                            self.responses += 1
                            self.bytes_read += 4 + read
                            self.largest = max(self.largest, size)
            except OSError:
                with self.lock:
                    self.reconnects += 1
                self.stopping.wait(0.1)

    def stats(self):
        with self.lock:
            return {"connections": self.count, "responses": self.responses, "read_mb": self.bytes_read // 1_000_000,
                    "largest_response_mb": round(self.largest / 1_000_000, 1), "reconnects": self.reconnects}


class FanOut(ConnectionThreads):
    """count connections, each sending a Produce v7 that names `partitions` empty partitions (8 bytes
    each) and waiting for the answer or the close, again and again; what the broker did is counted."""

    def __init__(self, bootstrap, count=3, partitions=10_000_000):
        super().__init__(bootstrap, count)
        self.frame = wire.produce_v7_fan_out(1, "fan-out", partitions)
        self.sent = self.closed = self.answered = self.largest_answer = 0

    def connection(self):
        while not self.stopping.is_set():
            try:
                with connect(self.bootstrap) as sock:
                    sock.settimeout(60)
                    sock.sendall(self.frame)
                    with self.lock:
                        self.sent += 1
                    header = sock.recv(4, socket.MSG_WAITALL)
                    if len(header) < 4:
                        with self.lock:
                            self.closed += 1
                        continue
                    size = left = struct.unpack(">i", header)[0]
                    while left > 0:
                        chunk = sock.recv(min(left, 1 << 20))
                        if not chunk:
                            break
                        left -= len(chunk)
                    with self.lock:
                        self.answered += 1
                        self.largest_answer = max(self.largest_answer, size)
            except OSError:
                with self.lock:
                    self.closed += 1
                self.stopping.wait(0.1)

    def stats(self):
        with self.lock:
            return {"connections": self.count, "requests_sent": self.sent, "closed_by_broker": self.closed,
                    "answered": self.answered, "largest_answer_mb": round(self.largest_answer / 1_000_000, 1)}


class SlowReaders:
    """Connections that ask for a large Fetch (every partition of topic from offset 0) and never read
    the response; a connection the broker closes is opened again and asks again."""

    def __init__(self, bootstrap, topic, count=5, partitions=1, max_bytes=2 ** 31 - 1):
        self.bootstrap, self.topic, self.count, self.max_bytes = bootstrap, topic, count, max_bytes
        self.partitions = range(partitions)
        self.watcher = Watcher()
        self.stopping = threading.Event()
        self.requests = 0

    def ask(self):
        sock = connect(self.bootstrap, receive_buffer=4096)
        sock.sendall(wire.fetch_v4(1, self.topic, self.partitions, 0, self.max_bytes, self.max_bytes))
        self.requests += 1
        self.watcher.add(sock)

    def start(self):
        for _ in range(self.count):
            self.ask()
        threading.Thread(target=self.renew, daemon=True).start()

    def renew(self):
        while not self.stopping.wait(0.1):
            summary = self.watcher.summary()
            for _ in range(self.count - summary["open"]):
                try:
                    self.ask()
                except OSError:
                    pass

    def stop(self):
        self.stopping.set()
        self.watcher.close_all()

    def stats(self):
        return dict(self.watcher.summary(), connections=self.count, fetches_sent=self.requests)


ATTACKS = {"prefixes": Prefixes, "big-bodies": BigBodies, "connections": Connections, "idle": Idle,
           "slow-readers": SlowReaders, "fetch-flood": FetchFlood, "fan-out": FanOut}


def main():
    name, bootstrap = sys.argv[1], sys.argv[2]
    params = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    attack = ATTACKS[name](bootstrap, **params)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    attack.start()
    print("ready", flush=True)
    stop.wait()
    summary = attack.stats()  # what the broker did while the attack was up, before our own closes
    attack.stop()
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()
