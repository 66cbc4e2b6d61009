#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`atoll check`: accepts a valid manifest, refuses a bad one with the
file, line and field, and starts nothing in either case."""
import os
import subprocess
import tempfile

from harness import ATOLL, check

d = tempfile.mkdtemp(prefix="atoll-check-")
good = os.path.join(d, "good.yaml")
bad = os.path.join(d, "bad.yaml")
with open(good, "w") as f:
    f.write("machine: {type: none}\nmemory: {size: 64M}\n")
with open(bad, "w") as f:
    f.write("machine: {type: none}\nmemory:\n  size: 64M\n  hugepage: true\n")

r = subprocess.run([ATOLL, "check", good], capture_output=True, text=True)
check(r.returncode == 0 and "OK" in r.stdout and "64 MiB" in r.stdout,
      "a valid manifest passes: %r" % r.stdout.strip())
r = subprocess.run([ATOLL, "check", bad], capture_output=True, text=True)
check(r.returncode == 1, "a bad manifest fails with status 1")
check(bad + ":4:" in r.stderr and "memory.hugepage" in r.stderr and
      "hugepages" in r.stderr,
      "the error names file, line, field and the likely intended key: %r"
      % r.stderr.strip())
r = subprocess.run([ATOLL, "check"], capture_output=True, text=True)
check(r.returncode == 2 and "Usage" in r.stderr, "usage error without a file")
r = subprocess.run([ATOLL, "--help"], capture_output=True, text=True)
check(r.returncode == 0 and "sandbox-report" in r.stdout, "--help")
print("check command checks passed")
