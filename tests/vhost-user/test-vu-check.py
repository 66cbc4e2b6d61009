#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`atoll check` of kind vhost-user: the back-end's socket lies beneath
the manifest's directory or an --image-dir (issue 9's rule for files), is
a unix socket, is not reached through a symlink out; device, queue-size
are checked; check and run refuse alike with file:line:col and field."""
import os
import socket
import subprocess
import sys
import tempfile

ATOLL = sys.argv[1]


def check(cond, msg):
    if not cond:
        print("FAIL: " + msg, flush=True)
        sys.exit(1)
    print("ok: " + msg, flush=True)


def listen(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(1)
    return s


d = tempfile.mkdtemp(prefix="atoll-vu-check-")
outside = tempfile.mkdtemp(prefix="atoll-vu-outside-")
keep = [listen(os.path.join(d, "vu.sock")),
        listen(os.path.join(outside, "far.sock"))]
with open(os.path.join(d, "plain"), "w") as f:
    f.write("x")
os.symlink(os.path.join(outside, "far.sock"), os.path.join(d, "escape"))
HEAD = ("machine: {type: none}\nmemory: {size: 16M}\ndevices:\n"
        "  - name: v0\n    kind: vhost-user\n")
GOOD = HEAD + "    socket: vu.sock\n    device: blk\n"

path = os.path.join(d, "good.yaml")
with open(path, "w") as f:
    f.write(GOOD)
r = subprocess.run([ATOLL, "check", path], capture_output=True, text=True)
check(r.returncode == 0 and "OK" in r.stdout and
      "atoll-vhost-user" in r.stdout,
      "a socket beside the manifest passes: %r" % (r.stdout + r.stderr))

# (what, manifest, where, words, flags that allow it)
cases = [
    ("a socket outside the allowed directories",
     HEAD + "    socket: %s\n    device: blk\n" % os.path.join(outside,
                                                          "far.sock"),
     ":6:13: devices[0].socket:", "(allow with --image-dir DIR)",
     ["--image-dir", outside]),
    ("a symlink to a socket outside", HEAD + "    socket: escape\n"
     "    device: blk\n", ":6:13: devices[0].socket:", "leads out of", None),
    ("a regular file", HEAD + "    socket: plain\n    device: blk\n",
     ":6:13: devices[0].socket:", "is not a unix socket", None),
    ("no socket", HEAD + "    device: blk\n", ":4:5: devices[0]:",
     'missing required field "socket"', None),
    ("no device", HEAD + "    socket: vu.sock\n", ":4:5: devices[0]:",
     'missing required field "device"', None),
    ("an unknown device", HEAD + "    socket: vu.sock\n    device: floppy\n",
     ":7:13: devices[0].device:", "floppy", None),
    ("a queue size not a power of two", GOOD + "    queue-size: 100\n",
     ":8:17: devices[0].queue-size:", "power of two", None),
]
for i, (what, text, where, words, allow) in enumerate(cases):
    path = os.path.join(d, "p%d.yaml" % i)
    with open(path, "w") as f:
        f.write(text)
    c = subprocess.run([ATOLL, "check", path], capture_output=True, text=True)
    check(c.returncode == 1 and (path + where) in c.stderr and
          words in c.stderr, "%s is refused: %r" % (what, c.stderr.strip()))
    r = subprocess.run([ATOLL, "run", path], capture_output=True, text=True,
                       timeout=30)
    check(r.returncode == 1 and r.stderr == c.stderr,
          "atoll run refuses %s with the same message" % what)
    if allow is None:
        continue
    r = subprocess.run([ATOLL] + allow + ["check", path], capture_output=True,
                       text=True)
    check(r.returncode == 0 and "OK" in r.stdout,
          "%s is accepted with %s: %r" % (what, " ".join(allow),
                                          (r.stdout + r.stderr).strip()))
for s in keep:
    s.close()
