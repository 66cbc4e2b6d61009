# SPDX-License-Identifier: MIT
"""Helpers for the launcher's integration tests: write a manifest, run
`atoll run` on it, talk QMP to it, and check that nothing is left behind.

Paths come from the environment meson sets: ATOLL (the launcher) and
TESTDEV (tests/launcher/atoll-testdev)."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

ATOLL = os.environ["ATOLL"]
TESTDEV = os.environ["TESTDEV"]
# The stand-in device is a binary override (binary:, args:) and is not
# built for a sandbox (sandbox: off): what only the operator may grant.
TESTDEV_FLAGS = ("--allow-binary", "--allow-unsandboxed")


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)
    print("ok: " + msg, flush=True)


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    fail("timed out after %.1fs waiting for %s" % (timeout, what))


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0): look at its state.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class Qmp:
    def __init__(self, path, timeout=10):
        self.sock = wait_for(lambda: self._connect(path), timeout, "QMP socket")
        self.buf = b""
        self.greeting = self.read()
        self.events = []

    @staticmethod
    def _connect(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            s.close()
            return None
        s.settimeout(10)
        return s

    def read(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QMP connection closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def send_raw(self, data):
        self.sock.sendall(data)

    def execute(self, cmd, args=None, **extra):
        msg = {"execute": cmd}
        if args is not None:
            msg["arguments"] = args
        msg.update(extra)
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            r = self.read()
            if "event" in r:
                self.events.append(r)
                continue
            return r

    def close(self):
        self.sock.close()


class Vm:
    """One `atoll run` of a manifest text. `{TESTDEV}` and `{DIR}` in the
    text are replaced; a QMP socket is added unless qmp=False. `flags` are
    the operator's grants given to atoll (TESTDEV_FLAGS by default)."""

    def __init__(self, manifest, qmp=True, console="none", stdin=None,
                 verbose=True, stdout=None, preexec_fn=None,
                 flags=TESTDEV_FLAGS):
        self.dir = tempfile.mkdtemp(prefix="atoll-test-")
        self.qmp_path = os.path.join(self.dir, "qmp.sock")
        text = manifest
        if qmp:
            text += "\nqmp: %s\n" % self.qmp_path
        if "console:" not in text:
            text += "console: %s\n" % console
        text = text.replace("{TESTDEV}", TESTDEV).replace("{DIR}", self.dir)
        self.manifest = os.path.join(self.dir, "vm.yaml")
        with open(self.manifest, "w") as f:
            f.write(text)
        self.stderr_path = os.path.join(self.dir, "stderr.log")
        self.stdout_path = os.path.join(self.dir, "stdout.log")
        self.proc = subprocess.Popen(
            [ATOLL] + (["-v"] if verbose else []) + list(flags) +
            ["run", self.manifest],
            stdin=stdin if stdin is not None else subprocess.DEVNULL,
            stdout=stdout if stdout is not None else open(self.stdout_path, "wb"),
            stderr=open(self.stderr_path, "wb"), preexec_fn=preexec_fn)
        self.qmp = None

    def connect(self):
        self.qmp = Qmp(self.qmp_path)
        r = self.qmp.execute("qmp_capabilities")
        if r != {"return": {}}:
            fail("qmp_capabilities answered %r" % r)
        return self.qmp

    def processes(self):
        r = self.qmp.execute("query-processes")
        if "return" not in r:
            fail("query-processes answered %r" % r)
        return {p["name"]: p for p in r["return"]}

    def wait_running(self, names, timeout=10):
        def ready():
            ps = self.processes()
            return ps if all(ps.get(n, {}).get("state") == "running"
                             for n in names) else None
        return wait_for(ready, timeout, "processes %s running" % names)

    def wait_exit(self, timeout=15):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            fail("atoll did not exit within %ss; stderr:\n%s" %
                 (timeout, self.stderr()))

    def stderr(self):
        with open(self.stderr_path, errors="replace") as f:
            return f.read()

    def stdout(self):
        with open(self.stdout_path, errors="replace") as f:
            return f.read()

    def check_nothing_left(self, pids):
        for name, pid in pids.items():
            check(not alive(pid), "%s (pid %d) is gone" % (name, pid))
        check(not os.path.exists(self.qmp_path), "QMP socket file removed")

    def kill(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
