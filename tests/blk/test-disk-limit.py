#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`atoll run` starts a virtio-blk device with RLIMIT_FSIZE equal to its
disk's size (launcher/launch.c): the device can write all of its disk and
cannot grow it. Reads the limit from the running device's /proc entry."""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True      # no cache in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "guest-blk"))
from guest_blk import userns_unavailable  # noqa: E402

ATOLL = os.environ["ATOLL"]
DISK_BYTES = 12345678     # not a round number: the limit must be this
SKIP = 77

# The limit is a sandbox setting: it needs a sandboxed device, which
# neither an instrumented build nor a host without user namespaces runs.
if os.environ.get("ATOLL_SANITIZE", "none") != "none":
    print("SKIP: sanitizer build (%s): instrumented programs cannot run "
          "sandboxed" % os.environ["ATOLL_SANITIZE"])
    sys.exit(SKIP)
why = userns_unavailable()
if why:
    print("SKIP: " + why)
    sys.exit(SKIP)


def fail(msg):
    print("FAIL: " + msg, flush=True)
    sys.exit(1)


def device_of(parent):
    """The pid of the atoll-virtio-blk child of `parent`, or None."""
    for e in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % e) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%s/cmdline" % e, "rb") as f:
                argv0 = f.read().split(b"\0")[0]
        except (OSError, ValueError, IndexError):
            continue
        if ppid == parent and argv0.endswith(b"atoll-virtio-blk"):
            return int(e)
    return None


def fsize_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max file size"):
                return line.split()[3:5]
    return None


d = tempfile.mkdtemp(prefix="atoll-disk-limit-")
disk = os.path.join(d, "disk.img")
manifest = os.path.join(d, "vm.yaml")
with open(disk, "wb") as f:
    f.truncate(DISK_BYTES)
with open(manifest, "w") as f:
    f.write("name: disklimit\nmachine: {type: none}\nconsole: none\n"
            "devices:\n  - {name: disk0, kind: virtio-blk, path: %s}\n" % disk)
log = open(os.path.join(d, "stderr.log"), "w+b")
vm = subprocess.Popen([ATOLL, "run", manifest], stdin=subprocess.DEVNULL,
                      stdout=log, stderr=log)
try:
    pid, limit, end = None, None, time.monotonic() + 30
    while limit is None and vm.poll() is None and time.monotonic() < end:
        pid = pid or device_of(vm.pid)
        limit = fsize_limit(pid) if pid else None
        time.sleep(0.05)
    if limit is None:
        log.seek(0)
        fail("no running atoll-virtio-blk under atoll (pid %d); log:\n%s"
             % (vm.pid, log.read().decode(errors="replace")))
    want = [str(DISK_BYTES)] * 2
    if limit != want:
        fail("device %d: RLIMIT_FSIZE soft/hard %s, want %s" % (pid, limit, want))
    print("ok: device %d runs with RLIMIT_FSIZE %s = the disk's size" %
          (pid, limit[0]))
finally:
    vm.send_signal(signal.SIGTERM)
    try:
        vm.wait(15)
    except subprocess.TimeoutExpired:
        vm.kill()
        vm.wait()
    os.unlink(disk)
