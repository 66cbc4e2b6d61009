#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Launcher figures, printed (never judged on time):
  - start to ready: from `atoll run` starting to every process READY, as the
    launcher itself measures it, for a VM of mem + cpu + 2 devices, with the
    sandbox on and off; beside the cost of plain fork+exec of /bin/true
    measured in the same run as the floor for one process start;
  - RSS of the launcher and of atoll-mem once the VM runs.
Goals (issue 2): start to ready under 20 ms; RSS under 3 MiB each."""
import os
import re
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "launcher"))
from harness import Vm, wait_for  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
MANIFEST = """
machine: {type: none, binary: "{TESTDEV}"}
memory: {size: 256M}
sandbox: %s
devices:
  - {name: d0, kind: external, binary: "{TESTDEV}"}
  - {name: d1, kind: external, binary: "{TESTDEV}"}
"""


def start_to_ready(sandbox):
    times = []
    for _ in range(RUNS):
        vm = Vm(MANIFEST % sandbox)
        try:
            vm.connect()
            vm.wait_running(["mem", "cpu", "d0", "d1"])
            vm.qmp.execute("quit")
            vm.wait_exit()
            m = re.search(r"processes ready in ([0-9.]+) ms", vm.stderr())
            if not m:
                raise EOFError("no ready figure in the log")
            times.append(float(m.group(1)))
        except (OSError, EOFError) as e:
            print("the VM failed (%s); its log:\n%s" % (e, vm.stderr()))
            return None
        finally:
            vm.kill()
    return times


def fork_exec_floor():
    times = []
    for _ in range(RUNS * 4):
        t = time.perf_counter()
        subprocess.run(["/bin/true"])
        times.append((time.perf_counter() - t) * 1e3)
    return times


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def rss_figures():
    vm = Vm(MANIFEST % "on")
    try:
        vm.connect()
        ps = vm.wait_running(["mem", "cpu", "d0", "d1"])
        time.sleep(0.2)
        ps = vm.processes()
        return rss_kib(vm.proc.pid), ps["mem"]["rss"] // 1024
    finally:
        vm.kill()


def line(name, xs):
    xs = sorted(xs)
    print("  %-34s median %7.2f ms   p90 %7.2f ms   min %7.2f ms" %
          (name, statistics.median(xs), xs[int(len(xs) * 0.9) - 1], xs[0]))


print("launcher start to ready (mem + cpu + 2 devices, %d runs each):" % RUNS)
floor = fork_exec_floor()
for sb in ("on", "off"):
    t = start_to_ready(sb)
    if t is None:
        sys.exit(1)
    line("atoll, sandbox " + sb, t)
line("reference: fork+exec /bin/true x1", floor)
print("  goal: under 20 ms")
launcher, mem = rss_figures()
print("RSS with a running 256 MiB VM (sandbox on):")
print("  atoll (launcher)  %6d KiB   goal < 3072 KiB" % launcher)
print("  atoll-mem         %6d KiB   goal < 3072 KiB" % mem)
