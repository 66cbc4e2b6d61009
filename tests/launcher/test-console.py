#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The guest console on stdio: bytes reach the cpu process and come back;
Ctrl-A x quits; a guest power-off ends the VM with status 0."""
import subprocess
import time

from harness import Vm, check, wait_for

MANIFEST = """
machine: {type: none, binary: "{TESTDEV}"}
memory: {size: 16M}
sandbox: off
console: stdio
"""


def run(keys, expect_exit, expect_out, what):
    vm = Vm(MANIFEST, qmp=True, stdin=subprocess.PIPE)
    try:
        vm.connect()
        vm.wait_running(["mem", "cpu"])
        wait_for(lambda: "running" in vm.stdout(), 5, "the guest to run")
        for k in keys:
            vm.proc.stdin.write(k)
            vm.proc.stdin.flush()
            time.sleep(0.1)
        check(vm.wait_exit() == expect_exit, "%s: exit status %d" % (what, expect_exit))
        for s in expect_out:
            check(s in vm.stdout(), "%s: console shows %r" % (what, s))
        return vm
    finally:
        vm.kill()


vm = run([b"hello\n", b"mem\n", b"\x01x"], 0,
         ["console attached", "echo: hello", "mem: 16777216"], "Ctrl-A x")
check("quit from the console" in vm.stderr(), "Ctrl-A x is named as the reason")
vm = run([b"poweroff\n"], 0, ["console attached"], "guest power-off")
check("guest powered off" in vm.stderr(), "power-off is named as the reason")
vm = run([b"panic\n"], 1, [], "guest panic")
check("guest panicked" in vm.stderr(), "a panic ends the VM with an error")
# Ctrl-A Ctrl-A sends one Ctrl-A to the guest instead of quitting.
vm = run([b"a\x01\x01b\n", b"poweroff\n"], 0, ["echo: a\x01b"], "Ctrl-A Ctrl-A")
print("console checks passed")
