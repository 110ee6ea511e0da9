"""Starts and stops a single-node Gregor broker for the interop tests.

As a module: Broker(dll, data_dir, port, log_path).start() / .kill() / .stop().
As a command (used by run.sh):
  broker.py free-port
  broker.py start DLL DATA_DIR PORT LOG   -> prints the broker's pid once it answers
  broker.py stop PID
"""
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kafka_wire  # noqa: E402

READY_TIMEOUT_SECONDS = 60


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Broker:
    def __init__(self, dll, data_dir, port, log_path, extra_settings=(), command_prefix=()):
        self.dll, self.data_dir, self.port, self.log_path = dll, data_dir, port, log_path
        self.extra_settings = list(extra_settings)
        # e.g. ["prlimit", "--nofile=1024:1024", "--"]: prlimit execs the broker, so the pid stays the broker's.
        self.command_prefix = list(command_prefix)
        self.process = None

    @property
    def bootstrap(self):
        return "127.0.0.1:%d" % self.port

    def command(self):
        settings = ["log.dirs=" + self.data_dir,
                    "listeners=PLAINTEXT://127.0.0.1:%d" % self.port] + self.extra_settings
        command = self.command_prefix + ["dotnet", self.dll, "server"]
        for setting in settings:
            command += ["--set", setting]
        return command

    def start(self):
        os.makedirs(self.data_dir, exist_ok=True)
        log = open(self.log_path, "ab")
        log.write(("--- %s: %s\n" % (time.strftime("%H:%M:%S"), " ".join(self.command()))).encode())
        log.flush()
        # Own session, so the broker outlives a `broker.py start` command and a kill reaches
        # only it.
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("broker exited with %d before answering (log: %s)"
                                   % (self.process.returncode, self.log_path))
            if kafka_wire.api_versions_ok(self.bootstrap, timeout=1.0):
                return self
            time.sleep(0.2)
        self.process.kill()
        raise RuntimeError("broker did not answer ApiVersions within %ds (log: %s)"
                           % (READY_TIMEOUT_SECONDS, self.log_path))

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        """SIGKILL: no shutdown hook, no flush - what a crash looks like to the data dir."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self, timeout=20):
        stop_pid(self.process.pid, timeout)
        self.process.wait()


def stop_pid(pid, timeout=20):
    """SIGTERM, then SIGKILL if the broker has not exited after timeout seconds."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            # Reap it when it is our child; otherwise just probe it.
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return
        except ChildProcessError:
            if not _running(pid):
                return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def _running(pid):
    """False once the process is gone or a zombie (its parent may never reap it)."""
    try:
        with open("/proc/%d/stat" % pid) as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False


def main(args):
    if args[:1] == ["free-port"]:
        print(free_port())
    elif args[:1] == ["start"] and len(args) == 5:
        broker = Broker(args[1], args[2], int(args[3]), args[4]).start()
        print(broker.process.pid)
    elif args[:1] == ["stop"] and len(args) == 2:
        stop_pid(int(args[1]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
