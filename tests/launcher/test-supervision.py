#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A device killed with SIGKILL is restarted per its policy; under 'never'
the VM ends with a clear message; a device that keeps failing is given up
on after its limit (NEEDS_RESET, the VM runs on); nothing is left running
afterwards."""
import os
import signal

from harness import Vm, check, wait_for

BASE = """
machine: {type: none, binary: "{TESTDEV}"}
memory: {size: 16M}
sandbox: off
devices:
"""


def dev(name, restart, extra=""):
    return ("  - {name: %s, kind: external, binary: \"{TESTDEV}\", "
            "restart: %s%s}\n" % (name, restart, extra))


def restart_on_failure():
    vm = Vm(BASE + dev("d0", "{policy: on-failure, max: 3, backoff-ms: 10}"))
    try:
        vm.connect()
        ps = vm.wait_running(["mem", "cpu", "d0"])
        fds_before = len(os.listdir("/proc/%d/fd" % vm.proc.pid))
        old = ps["d0"]["pid"]
        os.kill(old, signal.SIGKILL)
        ps = wait_for(lambda: (lambda p: p if p["d0"]["restarts"] == 1 and
                               p["d0"]["state"] == "running" else None)(
                                   vm.processes()), 10, "d0 restarted")
        check(ps["d0"]["pid"] not in (0, old), "d0 has a new pid")
        check(ps["cpu"]["state"] == "running" and ps["cpu"]["restarts"] == 0,
              "the cpu process was not disturbed")
        check("restart 1/3" in vm.stderr(), "the restart is logged")
        fds_after = len(os.listdir("/proc/%d/fd" % vm.proc.pid))
        check(fds_after == fds_before, "the launcher holds as many fds after "
              "the restart as before (%d, %d)" % (fds_before, fds_after))
        check("d0: restarted (1) and ready" in vm.stderr(),
              "the restarted device is ready again")
        pids = {n: p["pid"] for n, p in ps.items()}
        vm.qmp.execute("quit")
        check(vm.wait_exit() == 0, "atoll exits 0 after quit")
        vm.check_nothing_left(pids)
    finally:
        vm.kill()


def restart_never():
    vm = Vm(BASE + dev("d0", "never"))
    try:
        vm.connect()
        ps = vm.wait_running(["mem", "cpu", "d0"])
        pids = {n: p["pid"] for n, p in ps.items()}
        os.kill(pids["d0"], signal.SIGKILL)
        check(vm.wait_exit() == 1, "atoll exits 1 when a 'never' device dies")
        err = vm.stderr()
        check("d0 (external) killed by signal 9" in err and
              "restart policy 'never'" in err,
              "the message names the device, the signal and the policy")
        vm.check_nothing_left(pids)
    finally:
        vm.kill()


def give_up_after_limit():
    # Exits with status 3 shortly after each start: on-failure restarts it
    # until the limit; then the guest is told NEEDS_RESET (the cpu server
    # gets DEVICE_FAULT) and the VM runs on.
    vm = Vm(BASE + dev("d0", "{policy: on-failure, max: 2, backoff-ms: 10}",
                       ", args: [--exit-after=50, --exit-code=3]"))
    try:
        vm.connect()
        ps = wait_for(lambda: (lambda p: p if p["d0"]["state"] ==
                               "needs-reset" else None)(vm.processes()),
                      10, "d0 given up on")
        err = vm.stderr()
        check("exited with status 3; gave up after 2 restarts" in err,
              "the message says why it gave up")
        check("needs-reset d0: " in err, "the cpu server is told")
        check(ps["d0"]["restarts"] == 2 and
              ps["d0"]["last-exit"] == "exited with status 3",
              "query-processes has the restarts and the last exit: %r" %
              ps["d0"])
        check(vm.qmp.execute("query-status")["return"]["running"],
              "the VM keeps running")
        check(any(e["event"] == "DEVICE_NEEDS_RESET" and
                  e["data"]["device"] == "d0" for e in vm.qmp.events),
              "DEVICE_NEEDS_RESET was sent")
        vm.qmp.execute("quit")
        check(vm.wait_exit() == 0, "atoll exits 0 after quit")
    finally:
        vm.kill()


restart_on_failure()
restart_never()
give_up_after_limit()
print("all supervision checks passed")
