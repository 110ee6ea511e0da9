"""A `gregor consume --group` process as a group member in an interop case (run with /usr/bin/python3).

It prints each record as one JSON object per line (--output json) into a file of the case's scratch
folder; records() reads back (partition, offset, value) from it. stop() sends SIGTERM: the CLI then
closes the consumer (revocation, final commit, LeaveGroup) and exits 0. A member still running when
the case ends (a failed check) is killed, so that it does not outlive the broker.
"""
import atexit
import json
import signal
import subprocess

from interop import bootstrap, env, scratch


class GregorMember:
    def __init__(self, name, topic, group, *settings):
        self.name = name
        self.path = scratch("%s-%s.jsonl" % (group, name))
        self.err_path = self.path + ".err"
        command = ["dotnet", env("GREGOR_DLL"), "consume", topic, "--group", group, "--output", "json",
                   "--bootstrap", bootstrap(), "--consumer-property", "client.id=gregor-" + name, "--from-beginning"]
        for setting in settings:
            command += ["--consumer-property", setting]
        self._out = open(self.path, "wb")
        self._err = open(self.err_path, "wb")
        self.process = subprocess.Popen(command, stdout=self._out, stderr=self._err)
        atexit.register(kill_at_exit, self.process)

    def records(self):
        found = []
        with open(self.path) as f:
            for line in f:
                if not line.endswith("\n"):
                    break  # being written
                record = json.loads(line)
                found.append((record["partition"], record["offset"], record.get("value")))
        return found

    def stop(self, timeout=30):
        """SIGTERM, then waits; returns the exit code (0: closed cleanly)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout)
        self._out.close()
        self._err.close()
        return code

    def errors(self):
        with open(self.err_path, errors="replace") as f:
            return f.read()


def kill_at_exit(process):
    """For atexit: a child process of the case that is still running is killed."""
    if process.poll() is None:
        process.kill()
        process.wait(10)
