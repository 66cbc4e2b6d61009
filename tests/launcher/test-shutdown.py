#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""SIGTERM and SIGINT stop the VM cleanly: every process exits, sockets are
removed, atoll exits 0. A process that ignores SHUTDOWN is killed after the
grace period."""
import os
import signal
import time

from harness import Vm, check

MANIFEST = """
machine: {type: none, binary: "{TESTDEV}"}
memory: {size: 16M}
sandbox: off
console: "socket:{DIR}/console.sock"
devices:
  - {name: d0, kind: external, binary: "{TESTDEV}"%s}
"""


def stop_with(sig, stubborn=False):
    vm = Vm(MANIFEST % (", args: [--stubborn]" if stubborn else ""))
    what = "%s%s" % (signal.Signals(sig).name, " with a stubborn device" if stubborn else "")
    try:
        vm.connect()
        ps = vm.wait_running(["mem", "cpu", "d0"])
        pids = {n: p["pid"] for n, p in ps.items()}
        t = time.monotonic()
        vm.proc.send_signal(sig)
        check(vm.wait_exit() == 0, "%s: atoll exits 0" % what)
        took = time.monotonic() - t
        vm.check_nothing_left(pids)
        check(not os.path.exists(os.path.join(vm.dir, "console.sock")),
              "%s: console socket removed" % what)
        if stubborn:
            check("d0 did not exit in 2000 ms; killing it" in vm.stderr(),
                  "%s: the straggler is named and killed" % what)
            check(took >= 1.9, "%s: the grace period was given (%.1fs)" % (what, took))
        else:
            check(took < 1.9, "%s: no grace period was needed (%.2fs)" % (what, took))
    finally:
        vm.kill()


stop_with(signal.SIGTERM)
stop_with(signal.SIGINT)
stop_with(signal.SIGTERM, stubborn=True)
print("shutdown checks passed")
