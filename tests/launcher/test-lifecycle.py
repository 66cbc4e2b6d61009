#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A device's life as an operator drives it over QMP (docs/qmp.md):
device-restart, inject-fault (crash, hang, io-error) and query-faults, the
heartbeat that kills a hung device, the first restart being immediate, the
start-limit count that starts over once a device ran well for its interval,
a restart whose program cannot be started being retried under the policy,
and the events of each change."""
import os
import shutil
import signal
import tempfile
import time

from harness import Vm, check, wait_for

BASE = """
machine: {type: none, binary: "{TESTDEV}"}
memory: {size: 16M}
sandbox: off
devices:
"""


def dev(name, extra="", binary="{TESTDEV}"):
    return ("  - {name: %s, kind: external, binary: \"%s\"%s}\n" %
            (name, binary, extra))


def events(vm, name, device="d0"):
    return [e for e in vm.qmp.events
            if e["event"] == name and e["data"].get("device") == device]


def wait_state(vm, name, state, restarts=None, timeout=10):
    def ok():
        p = vm.processes()[name]
        return p if p["state"] == state and (
            restarts is None or p["restarts"] == restarts) else None
    return wait_for(ok, timeout, "%s %s (restarts %s)" %
                    (name, state, restarts))


def error_of(r):
    return r.get("error", {}).get("desc", "")


def device_restart():
    vm = Vm(BASE + dev("d0"))
    try:
        vm.connect()
        ps = vm.wait_running(["mem", "cpu", "d0"])
        old = ps["d0"]["pid"]
        check(vm.qmp.execute("device-restart", {"id": "d0"}) == {"return": {}},
              "device-restart d0 answers {}")
        p = wait_state(vm, "d0", "running", restarts=1)
        check(p["pid"] not in (0, old), "d0 runs as a new process")
        ev = wait_for(lambda: events(vm, "DEVICE_RESTARTED") or
                      (vm.processes() and None), 5, "DEVICE_RESTARTED")
        check(isinstance(ev[0]["data"]["downtime-ms"], int) and
              ev[0]["data"]["restarts"] == 1,
              "DEVICE_RESTARTED carries downtime-ms and restarts: %r" %
              ev[0]["data"])
        check(not events(vm, "DEVICE_CRASHED"),
              "an operator's restart is not a crash")
        check(vm.processes()["cpu"]["restarts"] == 0, "cpu undisturbed")
        r = vm.qmp.execute("device-restart", {"id": "cpu"})
        check("not a device" in error_of(r), "cpu cannot be restarted: %r" % r)
        r = vm.qmp.execute("device-restart", {"id": "nope"})
        check("no device 'nope'" in error_of(r), "unknown id refused: %r" % r)
        r = vm.qmp.execute("device-restart", {"id": "d0", "x": 1})
        check("error" in r, "an unknown argument is refused: %r" % r)
        vm.qmp.execute("quit")
        check(vm.wait_exit() == 0, "atoll exits 0 after quit")
    finally:
        vm.kill()


def crash_and_hang():
    vm = Vm(BASE + dev("d0", ", health: {interval-ms: 100, deadline-ms: 300}"))
    try:
        vm.connect()
        vm.wait_running(["mem", "cpu", "d0"])
        r = vm.qmp.execute("inject-fault", {"id": "d0", "kind": "crash"})
        check(r == {"return": {}}, "inject-fault crash answers {}: %r" % r)
        wait_state(vm, "d0", "running", restarts=1)
        crashed = events(vm, "DEVICE_CRASHED")
        check(crashed and "signal 6" in crashed[0]["data"]["reason"],
              "DEVICE_CRASHED names the abort: %r" % crashed)
        check("restart 1/5 in 0 ms" in vm.stderr(),
              "the first restart is immediate")
        check(events(vm, "FAULT_INJECTED")[0]["data"]["kind"] == "crash",
              "FAULT_INJECTED was sent")

        r = vm.qmp.execute("inject-fault", {"id": "d0", "kind": "hang"})
        check(r == {"return": {}}, "inject-fault hang answers {}")
        p = wait_state(vm, "d0", "running", restarts=2)
        check(p["last-exit"].startswith("was killed as hung: no answer to "
                                        "HEALTH within 300 ms"),
              "the heartbeat killed the hung device: %r" % p["last-exit"])

        r = vm.qmp.execute("inject-fault", {"id": "d0", "kind": "io-error",
                                            "count": 3, "queue": 0})
        check(r == {"return": {}}, "io-error is handed to the device")
        wait_for(lambda: "faults armed: delay 0 ms (queue 0), 3 errors "
                 "(queue 0)" in vm.stderr(), 5, "the device armed it")
        r = vm.qmp.execute("inject-fault", {"id": "d0", "kind":
                                            "drop-interrupt", "count": 2})
        check(r == {"return": {}}, "drop-interrupt is handed to the device")
        wait_for(lambda: "2 interrupts dropped (queue -1)" in vm.stderr(), 5,
                 "the device armed the dropped interrupts")
        r = vm.qmp.execute("inject-fault", {"id": "d0", "kind": "io-error",
                                            "after": 5})
        check(r == {"return": {}}, "io-error after 5 requests is accepted")
        wait_for(lambda: "armed after 5 more requests" in vm.stderr(), 5,
                 "the device counts 5 requests first")
        r = vm.qmp.execute("inject-fault", {"id": "d0", "kind": "delay",
                                            "after": 5})
        check("after applies to crash, io-error and drop-interrupt" in
              error_of(r), "after is refused for delay: %r" % r)
        r = vm.qmp.execute("inject-fault", {"id": "d0", "kind": "melt"})
        check("unknown kind 'melt'" in error_of(r), "unknown kind refused")
        r = vm.qmp.execute("inject-fault", {"id": "d0", "kind": "delay",
                                            "queue": -1})
        check("queue" in error_of(r), "a bad queue is refused: %r" % r)
        faults = vm.qmp.execute("query-faults")["return"]
        check([f["kind"] for f in faults] == ["crash", "hang", "io-error",
                                              "drop-interrupt", "io-error"] and
              faults[4]["after"] == 5 and
              faults[2]["count"] == 3 and faults[1]["how"] == "SIGSTOP",
              "query-faults lists what was injected: %r" % faults)
        vm.qmp.execute("quit")
        check(vm.wait_exit() == 0, "atoll exits 0 after quit")
    finally:
        vm.kill()


def count_decays():
    # One restart allowed per second: two kills more than a second apart
    # are both restarted; two in quick succession exhaust it.
    vm = Vm(BASE + dev("d0", ", restart: {max: 1, interval-s: 1}"))
    try:
        vm.connect()
        pid = vm.wait_running(["d0"])["d0"]["pid"]
        os.kill(pid, signal.SIGKILL)
        pid = wait_state(vm, "d0", "running", restarts=1)["pid"]
        time.sleep(1.2)
        os.kill(pid, signal.SIGKILL)
        pid = wait_state(vm, "d0", "running", restarts=2)["pid"]
        check(True, "a device that ran well for interval-s is restarted "
              "again")
        os.kill(pid, signal.SIGKILL)
        wait_state(vm, "d0", "needs-reset")
        check(events(vm, "DEVICE_NEEDS_RESET"), "DEVICE_NEEDS_RESET sent")
        check(vm.qmp.execute("device-restart", {"id": "d0"}) == {"return": {}},
              "the operator may restart a device given up on")
        wait_state(vm, "d0", "running", restarts=3)
        vm.qmp.execute("quit")
        check(vm.wait_exit() == 0, "atoll exits 0 after quit")
    finally:
        vm.kill()


def unstartable_restart():
    # The program vanishes while it runs: each restart fails to spawn and
    # counts under the policy; the VM runs on; once it is back the
    # operator restarts it.
    tmp = tempfile.mkdtemp(prefix="atoll-prog-")
    # A copy with its libraries where its RUNPATH ($ORIGIN/../..) looks:
    # the launcher resolves a symlink once, when it reads the manifest.
    built = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.realpath(os.environ["TESTDEV"]))))
    os.makedirs(os.path.join(tmp, "t", "l"))
    for lib in ("bus", "device"):
        os.symlink(os.path.join(built, lib), os.path.join(tmp, lib))
    prog = os.path.join(tmp, "t", "l", "testdev")
    shutil.copy(os.environ["TESTDEV"], prog)
    vm = Vm(BASE + dev("d0", ", restart: {max: 2, backoff-ms: 10}",
                       binary=prog))
    try:
        vm.connect()
        pid = vm.wait_running(["d0"])["d0"]["pid"]
        os.rename(prog, prog + ".away")
        os.kill(pid, signal.SIGKILL)
        p = wait_state(vm, "d0", "needs-reset")
        check(p["last-exit"].startswith("could not be started"),
              "the failed start is the last exit: %r" % p["last-exit"])
        check(vm.qmp.execute("query-status")["return"]["running"],
              "the VM keeps running")
        os.rename(prog + ".away", prog)
        vm.qmp.execute("device-restart", {"id": "d0"})
        wait_state(vm, "d0", "running")
        vm.qmp.execute("quit")
        check(vm.wait_exit() == 0, "atoll exits 0 after quit")
    finally:
        vm.kill()
        shutil.rmtree(tmp, ignore_errors=True)


def device_replace():
    vm = Vm(BASE + dev("d0"))
    try:
        vm.connect()
        old = vm.wait_running(["mem", "cpu", "d0"])["d0"]["pid"]
        r = vm.qmp.execute("device-replace", {"id": "d0",
                                              "binary": "/bin/false"})
        check("the new program exited with status 1" in error_of(r),
              "a successor that dies is an error that says why: %r" % r)
        p = vm.processes()["d0"]
        check(p["pid"] == old and p["state"] == "running" and
              p["restarts"] == 0, "the old program serves on: %r" % p)
        plain = os.path.join(vm.dir, "not-a-program")
        with open(plain, "w") as f:
            f.write("data\n")
        os.chmod(plain, 0o644)
        r = vm.qmp.execute("device-replace", {"id": "d0", "binary": plain})
        check("not an executable" in error_of(r), "a file that is not a "
              "program is refused: %r" % r)
        r = vm.qmp.execute("device-replace", {"id": "d0", "binary": "x"})
        check("absolute path" in error_of(r), "a relative path is refused")
        r = vm.qmp.execute("device-replace", {"id": "d0",
                                              "binary": os.environ["TESTDEV"]})
        check(r == {"return": {}}, "device-replace answers {} once the new "
              "program serves: %r" % r)
        p = vm.processes()["d0"]
        check(p["pid"] not in (0, old) and p["state"] == "running",
              "d0 is the new process: %r" % p)
        ev = events(vm, "DEVICE_REPLACED")
        check(ev and isinstance(ev[0]["data"]["downtime-ms"], int),
              "DEVICE_REPLACED was sent: %r" % ev)
        check(not events(vm, "DEVICE_CRASHED"), "no crash was reported")
        check(wait_for(lambda: not os.path.exists("/proc/%d/stat" % old) or
                       open("/proc/%d/stat" % old).read().split(")")[1]
                       .split()[0] == "Z", 5, "the old process gone"),
              "the old process is gone")
        check(vm.qmp.execute("device-restart", {"id": "d0"}) == {"return": {}},
              "the new process restarts as the device")
        wait_state(vm, "d0", "running", restarts=1)
        vm.qmp.execute("quit")
        check(vm.wait_exit() == 0, "atoll exits 0 after quit")
    finally:
        vm.kill()


def scheduled_faults():
    # From the manifest, for unattended runs: three crashes 400 ms apart,
    # then an io-error armed in the device.
    vm = Vm(BASE + dev("d0", ", restart: {max: 10}, faults: ["
                       "{kind: crash, at-ms: 200, every-ms: 400, times: 3}, "
                       "{kind: io-error, at-ms: 2000, count: 2}]"))
    try:
        vm.connect()
        wait_state(vm, "d0", "running", restarts=3)
        wait_for(lambda: "2 errors (queue -1)"
                 in vm.stderr(), 10, "the scheduled io-error")
        faults = vm.qmp.execute("query-faults")["return"]
        check([(f["kind"], f["source"]) for f in faults] ==
              [("crash", "manifest")] * 3 + [("io-error", "manifest")],
              "query-faults lists the scheduled faults: %r" % faults)
        time.sleep(0.5)
        check(vm.processes()["d0"]["restarts"] == 3, "no fourth crash")
        vm.qmp.execute("quit")
        check(vm.wait_exit() == 0, "atoll exits 0 after quit")
    finally:
        vm.kill()


device_restart()
device_replace()
scheduled_faults()
crash_and_hang()
count_decays()
unstartable_restart()
print("all lifecycle checks passed")
