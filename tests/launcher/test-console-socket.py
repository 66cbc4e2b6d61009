#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`console: socket:PATH` follows QMP's rules for its socket file: what is
not a socket (a file, a symbolic link, a folder) is never removed and the
run is refused; a live socket is refused; a stale one is replaced; the
socket is created 0600 and never widened or narrowed afterwards (watched
with inotify, under a umask of 000)."""
import ctypes
import os
import socket
import struct
import sys
import tempfile

from harness import Vm, check, fail

MANIFEST = """
machine: {type: none, binary: "{TESTDEV}"}
memory: {size: 16M}
sandbox: off
console: "socket:%s"
"""

IN_ATTRIB = 0x004
IN_CREATE = 0x100


def console_path():
    return os.path.join(tempfile.mkdtemp(prefix="atoll-console-"),
                        "console.sock")


def refused(setup, reason, what):
    """setup(path) puts something at the console path; the run must fail
    naming `reason`, and leave what setup made where it was."""
    path = console_path()
    keep = setup(path)
    vm = Vm(MANIFEST % path, qmp=False)
    try:
        check(vm.wait_exit() == 1, "%s: the run is refused" % what)
        check(reason in vm.stderr(), "%s: the error says %r" % (what, reason))
        check(os.path.lexists(path), "%s: it is still there" % what)
        if keep:
            keep()
    finally:
        vm.kill()


def regular_file(path):
    with open(path, "w") as f:
        f.write("precious\n")
    return lambda: check(open(path).read() == "precious\n",
                         "regular file: its content is intact")


def symlink(path):
    target = path + ".target"
    with open(target, "w") as f:
        f.write("t")
    os.symlink(target, path)
    return lambda: check(os.path.islink(path) and os.path.exists(target),
                         "symbolic link: link and target are intact")


def folder(path):
    os.mkdir(path)
    return None


LIVE = []


def live_socket(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    LIVE.append(s)

    def still_ours():
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        conn, _ = s.accept()
        check(conn is not None, "live socket: its server still answers")
        conn.close()
        c.close()
    return still_ours


NOT_A_SOCKET = "not a socket is there (refusing to remove it)"


def inotify(folder_path):
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
    check(fd >= 0, "inotify available")
    check(libc.inotify_add_watch(fd, folder_path.encode(),
                                 IN_CREATE | IN_ATTRIB) >= 0,
          "watching the socket's folder")
    return fd


def events(fd):
    """(mask, name) of every event so far."""
    out = []
    try:
        data = os.read(fd, 65536)
    except BlockingIOError:
        return out
    while data:
        _, mask, _, n = struct.unpack_from("iIII", data)
        name = data[16:16 + n].rstrip(b"\0").decode()
        out.append((mask, name))
        data = data[16 + n:]
    return out


# A stale socket (its server died) is replaced, and the new socket is born
# 0600: under umask 000 a bind-then-chmod shows as an IN_ATTRIB event.
def stale_and_mode():
    path = console_path()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(path)
    stale.close()
    qmp_path = os.path.join(os.path.dirname(path), "qmp.sock")
    watch = inotify(os.path.dirname(path))
    vm = Vm(MANIFEST % path + "qmp: %s\n" % qmp_path, qmp=False,
            preexec_fn=lambda: os.umask(0))
    vm.qmp_path = qmp_path
    try:
        vm.connect()
        vm.wait_running(["mem", "cpu"])
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.connect(path)
        c.settimeout(10)
        c.sendall(b"hello\n")
        got = b""
        while b"echo: hello" not in got:
            chunk = c.recv(4096)
            if not chunk:
                fail("the console closed before it answered")
            got += chunk
        check(b"echo: hello" in got,
              "stale socket: replaced, and the console answers on it")
        c.close()
        for p in (path, vm.qmp_path):
            mode = os.stat(p).st_mode & 0o777
            check(mode == 0o600, "%s: mode 0%o under umask 000" %
                  (os.path.basename(p), mode))
        ev = events(watch)
        for name in ("console.sock", "qmp.sock"):
            check((IN_CREATE, name) in ev, "%s: creation seen" % name)
            check(not [m for m, n in ev if n == name and m & IN_ATTRIB],
                  "%s: never chmod'ed after bind (events %r)" % (name, ev))
        vm.proc.terminate()
        check(vm.wait_exit() == 0, "SIGTERM ends the run")
        check(not os.path.exists(path), "console socket file removed")
    finally:
        vm.kill()
        os.close(watch)


# Rows can be named on the command line, to run one alone.
ROWS = {
    "regular-file": lambda: refused(regular_file, NOT_A_SOCKET, "regular file"),
    "symlink": lambda: refused(symlink, NOT_A_SOCKET, "symbolic link"),
    "folder": lambda: refused(folder, NOT_A_SOCKET, "folder"),
    "live": lambda: refused(live_socket, "a running server listens there",
                            "live socket"),
    "stale-and-mode": stale_and_mode,
}
for name in sys.argv[1:] or ROWS:
    ROWS[name]()
print("console socket checks passed")
