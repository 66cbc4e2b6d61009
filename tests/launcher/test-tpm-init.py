#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`atoll tpm-init FILE` creates a fresh TPM state (an empty file, mode
0600) and never overwrites: not an existing state, nor what a symlink at
FILE points to. (That atoll-tpm manufactures a TPM from it and keeps its NV
across boots is guest-tpm-tpm2's part: it starts from tpm-init.)"""
import os
import stat
import subprocess
import tempfile

from harness import ATOLL, check

d = tempfile.mkdtemp(prefix="atoll-tpm-init-")
state = os.path.join(d, "tpm.state")


def tpm_init(path):
    return subprocess.run([ATOLL, "tpm-init", path], capture_output=True,
                          text=True)


old = os.umask(0)           # the file's mode must not depend on the umask
try:
    r = tpm_init(state)
finally:
    os.umask(old)
st = os.stat(state)
check(r.returncode == 0 and st.st_size == 0 and
      stat.S_IMODE(st.st_mode) == 0o600,
      "a fresh state: empty, mode 0600 (got status %d, %d bytes, %o: %r)"
      % (r.returncode, st.st_size, stat.S_IMODE(st.st_mode), r.stderr))

with open(state, "wb") as f:
    f.write(b"seeds and NV")
r = tpm_init(state)
with open(state, "rb") as f:
    kept = f.read()
check(r.returncode == 1 and "never overwritten" in r.stderr and
      kept == b"seeds and NV",
      "an existing state is refused and kept: %r" % r.stderr.strip())

target = os.path.join(d, "victim")
with open(target, "wb") as f:
    f.write(b"not yours")
link = os.path.join(d, "link.state")
os.symlink(target, link)
r = tpm_init(link)
with open(target, "rb") as f:
    kept = f.read()
check(r.returncode == 1 and kept == b"not yours",
      "a symlink at FILE is refused, its target untouched: %r"
      % r.stderr.strip())
os.unlink(os.path.join(d, "link.state"))
dangling = os.path.join(d, "dangling.state")
os.symlink(os.path.join(d, "would-be-created"), dangling)
r = tpm_init(dangling)
check(r.returncode == 1 and
      not os.path.exists(os.path.join(d, "would-be-created")),
      "a dangling symlink creates nothing through it: %r" % r.stderr.strip())

r = subprocess.run([ATOLL, "--help"], capture_output=True, text=True)
check("tpm-init FILE" in r.stdout, "--help lists tpm-init")
print("PASS: tpm-init creates an empty 0600 state and never overwrites")
