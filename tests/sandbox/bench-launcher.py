#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Launcher start-to-ready with the sandbox on and off, side by side: the
VM is atoll-mem plus the test device as machine and as two devices. The
figure is the launcher's own "N processes ready in X ms" line. Prints;
never fails on timing."""
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time

ATOLL = os.environ["ATOLL"]
TESTDEV = os.environ["TESTDEV"]
RUNS = 15
READY = re.compile(r"(\d+) processes ready in ([0-9.]+) ms")


def manifest(path, sandbox):
    with open(path, "w") as f:
        f.write('machine: {type: none, binary: "%s"}\n' % TESTDEV)
        f.write("memory: {size: 16M}\n")
        f.write("sandbox: %s\n" % ("on" if sandbox else "off"))
        f.write("devices:\n")
        for i in range(2):
            f.write('  - {name: d%d, kind: external, binary: "%s"}\n'
                    % (i, TESTDEV))


def one(path):
    # The test device is a binary override, and half the runs are
    # unsandboxed: both are the operator's grants.
    p = subprocess.Popen([ATOLL, "-v", "--allow-binary", "--allow-unsandboxed",
                          "run", path], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    ms = None
    for line in p.stderr:
        m = READY.search(line)
        if m:
            ms = float(m.group(2))
            break
        if time.monotonic() > deadline:
            break
    p.send_signal(signal.SIGTERM)
    try:
        p.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
    return ms


def main():
    results = {}
    with tempfile.TemporaryDirectory() as d:
        for mode in (False, True, False, True):   # warm both, keep last
            path = os.path.join(d, "vm-%s.yaml" % mode)
            manifest(path, mode)
            ms = [one(path) for _ in range(RUNS)]
            if None in ms:
                print("a run never became ready (sandbox %s)" %
                      ("on" if mode else "off"))
                return 1
            results[mode] = ms
    print("launcher start-to-ready, 4 processes, %d runs each, uid %d (ms)"
          % (RUNS, os.geteuid()))
    print("%-10s | %8s | %8s" % ("sandbox", "mean", "median"))
    for mode in (True, False):
        v = results[mode]
        print("%-10s | %8.2f | %8.2f" % ("on" if mode else "off",
                                          statistics.mean(v),
                                          statistics.median(v)))
    print("(virtio-blk IOPS on/off: not yet, that device does not exist)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
