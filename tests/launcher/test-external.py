#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Kind external: a program beneath --device-dir runs sandboxed under the
external profile with nothing of the host but the bus and its manifest's
files, as fds in their modes (--file=NAME=FD); it gets its memory grant and
a peer connection to the cpu server like any device; a restart hands it
the files again. DEVICE_FAULT from the cpu server kills the named device
and its restart policy applies."""
import os
import signal
import subprocess
import sys
import tempfile

from harness import ATOLL, TESTDEV, Vm, check, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "guest-blk"))
from guest_blk import userns_unavailable  # noqa: E402

# The external profile needs a sandbox, which neither an instrumented
# build nor a host without user namespaces runs: then the device runs
# with sandbox off, and what it is granted is checked all the same.
if os.environ.get("ATOLL_SANITIZE", "none") != "none":
    NO_SANDBOX = "sanitizer build (%s): instrumented programs cannot run " \
        "sandboxed" % os.environ["ATOLL_SANITIZE"]
else:
    NO_SANDBOX = userns_unavailable()

DEVDIR = os.path.dirname(TESTDEV)
FLAGS = ("--device-dir", DEVDIR, "--allow-binary", "--allow-unsandboxed")
BASE = """
machine: {type: none, binary: "{TESTDEV}"}
memory: {size: 16M}
sandbox: off
console: stdio
devices:
"""


def ns(pid, what):
    return os.readlink("/proc/%d/ns/%s" % (pid, what))


def status_field(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return line.split(":", 1)[1].strip()
    return None


def device_lines(vm, word):
    return [l for l in vm.stderr().splitlines() if word in l]


def external_sandboxed():
    d = tempfile.mkdtemp(prefix="atoll-ext-")
    with open(os.path.join(d, "state"), "w") as f:
        f.write("state-0")
    with open(os.path.join(d, "rom"), "w") as f:
        f.write("rom-data")
    text = BASE + """  - name: d0
    kind: external
    program: "{TESTDEV}"
    sandbox: %s
    restart: {policy: on-failure, max: 3, backoff-ms: 10}
    files:
      - {name: state, path: %s/state, mode: rw}
      - {name: rom, path: %s/rom}
""" % ("off" if NO_SANDBOX else "on", d, d)
    vm = Vm(text, stdin=subprocess.PIPE, flags=FLAGS + ("--image-dir", d))
    try:
        vm.connect()
        ps = vm.wait_running(["mem", "cpu", "d0"])
        pid = ps["d0"]["pid"]
        if NO_SANDBOX:
            print("skip: the external profile's namespaces, seccomp and "
                  "capabilities: " + NO_SANDBOX)
        else:
            check(ns(pid, "pid") != ns(os.getpid(), "pid") and
                  ns(pid, "mnt") != ns(os.getpid(), "mnt") and
                  ns(pid, "net") != ns(os.getpid(), "net"),
                  "d0 runs in pid, mount and network namespaces of its own")
            check(status_field(pid, "Seccomp") == "2",
                  "d0 runs under seccomp")
            check(status_field(pid, "CapEff") == "0000000000000000",
                  "d0 has no capabilities")
        err = vm.stderr()
        fds = device_lines(vm, "atoll-testdev: fds:")
        check(len(fds) == 1 and fds[0].split("fds:")[1].split() in
              (["1", "2", "3", "4", "5"], ["0", "1", "2", "3", "4", "5"]),
              "d0 starts with stdout, stderr, the bus and its two files "
              "only: %r" % fds)
        check('file state: fd 4, rw, reads "state-0", write ok' in err,
              "the rw file arrives as fd 4, readable and writable")
        check('file rom: fd 5, ro, reads "rom-data", write Bad file '
              'descriptor' in err, "the ro file arrives as fd 5, read-only")
        with open(os.path.join(d, "state")) as f:
            check(f.read() == "Wtate-0", "the device's write reached the "
                  "host file")
        with open(os.path.join(d, "rom")) as f:
            check(f.read() == "rom-data", "the ro file is unchanged")
        check("granted 16777216 bytes" in err,
              "d0 got its memory grant like any device")
        check("peer cpu connected" in err,
              "d0 got a peer connection to the cpu server")
        vm.proc.stdin.write(b"peers\n")
        vm.proc.stdin.flush()
        wait_for(lambda: "peers: 1" in vm.stdout(), 5,
                 "the cpu server to count one peer")
        # A restart hands the files over again, opened afresh.
        os.kill(pid, signal.SIGKILL)
        wait_for(lambda: len(device_lines(vm, "file state:")) == 2, 10,
                 "d0 restarted with its files")
        check('file state: fd 4, rw, reads "Wtate-0", write ok' in
              vm.stderr(), "the restarted device gets the same file again")
        vm.qmp.execute("quit")
        check(vm.wait_exit() == 0, "atoll exits 0 after quit")
    finally:
        vm.kill()


def device_fault(restart):
    text = BASE + ("  - {name: d0, kind: external, program: \"{TESTDEV}\", "
                   "restart: %s}\n" % restart)
    vm = Vm(text, stdin=subprocess.PIPE, flags=FLAGS)
    try:
        vm.connect()
        ps = vm.wait_running(["mem", "cpu", "d0"])
        wait_for(lambda: "running" in vm.stdout(), 5, "the guest to run")
        # A name that is no device of this VM changes nothing.
        vm.proc.stdin.write(b"fault nosuch\n")
        vm.proc.stdin.flush()
        wait_for(lambda: "names no device of this VM" in vm.stderr(), 5,
                 "the launcher to refuse an unknown name")
        vm.proc.stdin.write(b"fault d0\n")
        vm.proc.stdin.flush()
        wait_for(lambda: "d0: the cpu server reports it failed: testdev "
                 "was told to report it; killing it" in vm.stderr(), 5,
                 "the launcher to act on DEVICE_FAULT")
        return vm, ps
    except BaseException:
        vm.kill()
        raise


def fault_restarts():
    vm, ps = device_fault("{policy: on-failure, max: 3, backoff-ms: 10}")
    try:
        ps2 = wait_for(lambda: (lambda p: p if p["d0"]["restarts"] == 1 and
                                p["d0"]["state"] == "running" else None)(
                                    vm.processes()), 10, "d0 restarted")
        check(ps2["d0"]["pid"] != ps["d0"]["pid"], "d0 has a new pid")
        check(ps2["cpu"]["pid"] == ps["cpu"]["pid"], "the cpu server stays")
        check("was killed after the cpu server reported it failed (testdev "
              "was told to report it); restart 1/3" in vm.stderr(),
              "the restart names the fault")
        vm.qmp.execute("quit")
        check(vm.wait_exit() == 0, "atoll exits 0 after quit")
    finally:
        vm.kill()


def fault_never():
    vm, _ = device_fault("never")
    try:
        check(vm.wait_exit() == 1, "a faulted 'never' device ends the VM")
        check("d0 (external) was killed after the cpu server reported it "
              "failed" in vm.stderr() and "restart policy 'never'" in
              vm.stderr(), "the message names the fault and the policy")
    finally:
        vm.kill()


def check_refusals():
    """atoll check: the program is the operator's to allow."""
    d = tempfile.mkdtemp(prefix="atoll-ext-check-")
    path = os.path.join(d, "vm.yaml")
    with open(path, "w") as f:
        f.write("machine: {type: none}\nmemory: {size: 16M}\ndevices:\n"
                "  - name: d0\n    kind: external\n    program: %s\n" % TESTDEV)
    r = subprocess.run([ATOLL, "check", path], capture_output=True,
                       text=True)
    check(r.returncode == 1 and path + ":6:14: devices[0].program:" in
          r.stderr and "(allow with --device-dir DIR or --allow-binary)" in
          r.stderr, "a program outside every --device-dir is refused: %r"
          % r.stderr.strip())
    r = subprocess.run([ATOLL, "--device-dir", DEVDIR, "check", path],
                       capture_output=True, text=True)
    check(r.returncode == 0 and "d0: kind external, program %s, profile "
          "external" % os.path.realpath(TESTDEV) in r.stdout,
          "beneath --device-dir it passes, listed with its program and "
          "profile: %r" % (r.stdout + r.stderr).strip())


check_refusals()
external_sandboxed()
fault_restarts()
fault_never()
print("external device checks passed")
