#!/usr/bin/python3
"""The issue-11 fan-out attack against one or more broker builds, in the same run.

    bench/e2e/fanout-produce.py [--partitions N] DLL [DLL ...]

For each build (a gregor.dll): start `gregor server` on a free 127.0.0.1 port with a temp log dir, send
one Produce v7 (acks=1) naming N empty partitions of one topic (null records, 8 bytes each: 80 MB for the
default ten million), then report what it cost the broker: its peak RSS (VmHWM) over its RSS before the
request, the response's size (or that the connection was closed), how long that took, and whether the
broker still answers ApiVersions on a new connection. Standard library only.
"""
import argparse
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def produce_frame(partitions):
    client_id = b"fan-out"
    header = struct.pack(">hhih", 0, 7, 1, len(client_id)) + client_id
    body = bytearray(struct.pack(">hhiih3si", -1, 1, 30000, 1, 3, b"fan", partitions))
    body += b"".join(struct.pack(">ii", i, -1) for i in range(partitions))
    return struct.pack(">i", len(header) + len(body)) + header + bytes(body)


def read_exactly(sock, n):
    data = bytearray()
    while len(data) < n:
        chunk = sock.recv(min(1 << 20, n - len(data)))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def api_versions_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            header = struct.pack(">hhih", 18, 2, 9, 1) + b"x"
            s.sendall(struct.pack(">i", len(header)) + header)
            size = read_exactly(s, 4)
            return size is not None and read_exactly(s, struct.unpack(">i", size)[0]) is not None
    except OSError:
        return False


def run(dll, frame):
    work = tempfile.mkdtemp(prefix="gregor-fanout-")
    port = free_port()
    log = open(os.path.join(work, "broker.log"), "w")
    broker = subprocess.Popen(["dotnet", dll, "server", "--set", f"log.dirs={work}/data",
                               "--set", f"listeners=PLAINTEXT://127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 120
        while not api_versions_answers(port):
            if time.time() > deadline or broker.poll() is not None:
                raise RuntimeError(f"{dll} did not start (see {work}/broker.log)")
            time.sleep(0.5)
        time.sleep(2)
        rss_before = status_kib(broker.pid, "VmRSS")
        started = time.time()
        outcome = "closed"
        with socket.create_connection(("127.0.0.1", port), timeout=600) as s:
            s.sendall(frame)
            size = read_exactly(s, 4)
            if size is not None:
                n = struct.unpack(">i", size)[0]
                outcome = f"{n:,} B response" if read_exactly(s, n) is not None else "closed mid-response"
        elapsed = time.time() - started
        peak = status_kib(broker.pid, "VmHWM")
        alive = api_versions_answers(port)
        return rss_before, peak, outcome, elapsed, alive
    finally:
        broker.terminate()
        try:
            broker.wait(30)
        except subprocess.TimeoutExpired:
            broker.kill()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--partitions", type=int, default=10_000_000)
    parser.add_argument("dlls", nargs="+")
    args = parser.parse_args()
    frame = produce_frame(args.partitions)
    print(f"Produce v7, one topic, {args.partitions:,} empty partitions: {len(frame):,} B frame")
    print(f"{'build':<60} {'RSS before':>11} {'peak RSS':>10} {'growth':>10} {'answer':>22} {'seconds':>8} {'serves after':>12}")
    for dll in args.dlls:
        before, peak, outcome, elapsed, alive = run(dll, frame)
        print(f"{dll:<60} {before / 1024:>8.0f} MiB {peak / 1024:>6.0f} MiB {(peak - before) / 1024:>6.0f} MiB {outcome:>22} {elapsed:>8.1f} {str(alive):>12}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
