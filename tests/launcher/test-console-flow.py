#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Nothing the guest or the console peer does blocks the launcher: a guest
that never reads its UART while the socket console peer pushes 1 MiB of
input, and a guest that floods output while stdout is a pipe nobody reads.
Either way QMP still answers and SIGTERM still ends the run. (A deadline
here only tells a hang from a pass; nothing is timed.)"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from harness import Qmp, Vm, check, fail, wait_for

MANIFEST = """
machine: {type: none, binary: "{TESTDEV}"}
memory: {size: 16M}
sandbox: off
"""
DEADLINE = 20


def query_status(vm):
    """QMP answers, or the launcher is stuck."""
    q = None
    try:
        q = Qmp(vm.qmp_path)   # reads the greeting
        q.sock.settimeout(DEADLINE)
        q.execute("qmp_capabilities")
        r = q.execute("query-status")
    except (socket.timeout, EOFError) as e:
        fail("QMP did not answer within %ds (%s): the launcher is blocked"
             % (DEADLINE, e))
    finally:
        if q:
            q.close()
    check("return" in r, "QMP query-status answers: %r" % r)


def sigterm_ends(vm, what):
    vm.proc.send_signal(signal.SIGTERM)
    check(vm.wait_exit(DEADLINE) == 0, "%s: SIGTERM ends the run" % what)


def push(sock, total):
    """Sends without blocking until `total` bytes went or nothing more is
    taken for a second; returns the bytes sent."""
    sock.setblocking(False)
    chunk = b"y" * 65536
    sent, idle = 0, time.monotonic()
    while sent < total and time.monotonic() - idle < 1:
        try:
            sent += sock.send(chunk[:total - sent])
            idle = time.monotonic()
        except BlockingIOError:
            time.sleep(0.01)
    return sent


def read_until(sock, text):
    sock.settimeout(DEADLINE)
    got = b""
    while text not in got:
        chunk = sock.recv(4096)
        if not chunk:
            fail("console closed before %r" % text)
        got += chunk


def deaf_guest():
    path = os.path.join(tempfile.mkdtemp(prefix="atoll-console-"), "c.sock")
    vm = Vm(MANIFEST + 'console: "socket:%s"\n' % path)
    try:
        vm.connect()
        vm.wait_running(["mem", "cpu"])
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        c.sendall(b"deaf\n")
        read_until(c, b"deaf")
        sent = push(c, 1 << 20)
        check(sent >= 128 << 10, "deaf guest: %d bytes of console input "
              "pushed" % sent)
        vm.qmp.close()
        query_status(vm)
        sigterm_ends(vm, "deaf guest")
        c.close()
    finally:
        vm.kill()


def unread_stdout():
    r, w = os.pipe()   # r is never read
    vm = Vm(MANIFEST + "console: stdio\n", stdin=subprocess.PIPE, stdout=w)
    os.close(w)
    try:
        vm.connect()
        vm.wait_running(["mem", "cpu"])
        vm.proc.stdin.write(b"flood 4194304\n")
        vm.proc.stdin.flush()
        wait_for(lambda: "flood: the console took 4194304 of" in vm.stderr(),
                 DEADLINE, "the guest's 4 MiB of output to be taken")
        query_status(vm)
        check("bytes of guest output dropped" in vm.stderr(),
              "dropped output is counted and logged")
        sigterm_ends(vm, "unread stdout")
    finally:
        vm.kill()
        os.close(r)


# Rows can be named on the command line, to run one alone.
ROWS = {"deaf-guest": deaf_guest, "unread-stdout": unread_stdout}
for name in sys.argv[1:] or ROWS:
    ROWS[name]()
print("console flow checks passed")
