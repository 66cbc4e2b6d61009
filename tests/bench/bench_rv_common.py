# SPDX-License-Identifier: MIT
"""Shared by the RISC-V CPU benchmarks (bench-rv-bare.py, bench-rv-linux.py):
running one emulator process with its CPU time, alternating atoll and QEMU
runs in pairs, and printing medians and the geometric mean of per-pair
ratios. Nothing here judges a time: only a checksum mismatch or a failed
run makes the benchmark fail."""
import math
import os
import re
import shlex
import statistics
import subprocess
import sys
import threading
import time

SKIP = 77
QEMU = "qemu-system-riscv64"


def engines_of(atoll_cpu):
    """Engines the atoll-cpu binary offers (its --help line
    '--engine a|b|c'), in that order."""
    out = subprocess.run([atoll_cpu, "--help"], capture_output=True,
                         text=True).stdout
    m = re.search(r"--engine\s+([a-z|]+)", out)
    return m.group(1).split("|") if m else ["block"]


def pick_engines(atoll_cpu):
    """BENCH_ENGINES=a,b or, by default, block and jit when present."""
    have = engines_of(atoll_cpu)
    want = os.environ.get("BENCH_ENGINES")
    if want:
        names = [e for e in want.split(",") if e]
        missing = [e for e in names if e not in have]
        if missing:
            print(f"WARNING: engine(s) {missing} not in atoll-cpu's "
                  f"--engine {'|'.join(have)}; left out")
        return [e for e in names if e in have]
    return [e for e in ("block", "jit") if e in have]


def usage(doc, nargs):
    """None when the command line holds nargs arguments; else prints doc
    and returns the exit status: 0 for one argument (--help), 2 otherwise."""
    if len(sys.argv) == nargs + 1 and sys.argv[1] not in ("-h", "--help"):
        return None
    print(doc)
    return 0 if len(sys.argv) == 2 else 2


def unbuilt(paths, mode):
    """SKIP, after saying so, if a path lacks access mode (os.X_OK,
    os.R_OK); else None."""
    for p in paths:
        if not os.access(p, mode):
            print(f"SKIP: {p} is not built")
            return SKIP
    return None


def pair_order(kinds, i):
    """The order of pair i: flipped every pair, so neither side always
    runs first (a warm cache or a frequency step)."""
    return kinds if i % 2 == 0 else kinds[::-1]


def host_summary():
    model = "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        m = re.search(r"Model name:\s*(.+)", out)
        model = m.group(1).strip() if m else model
    except OSError:
        pass
    with open("/proc/loadavg") as f:
        load = f.read().split()[0]
    return f"host: {model}, nproc {os.cpu_count()}, load average {load}"


def load_warning():
    """A loaded host stretches the in-guest (wall clock) times of both
    emulators; CPU time is the steadier figure then."""
    with open("/proc/loadavg") as f:
        load = float(f.read().split()[0])
    if load > max(1.0, (os.cpu_count() or 1) - 1):
        return (f"WARNING: load average {load:.1f} on {os.cpu_count()} CPUs: "
                "in-guest times are wall-clock and include waiting for a CPU")
    return None


class Run:
    """One emulator process: its output lines, exit status, CPU seconds
    (user + system of the process and its threads) and wall seconds.
    on_line(line, t, pid) is called with each output line, the wall time
    since start and the process id (for proc_cpu)."""

    def __init__(self, argv, timeout, on_line=None, stdin=None):
        self.argv = argv
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=stdin or subprocess.DEVNULL,
                             stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        killer = threading.Timer(timeout, p.kill)
        killer.start()
        self.lines = []
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            self.lines.append(line)
            if on_line:
                on_line(line, time.monotonic() - t0, p.pid)
        _, status, ru = os.wait4(p.pid, 0)
        killer.cancel()
        p.returncode = os.waitstatus_to_exitcode(status)
        self.rc = p.returncode
        self.wall = time.monotonic() - t0
        self.cpu = ru.ru_utime + ru.ru_stime
        self.timed_out = self.wall >= timeout

    def text(self):
        return "\n".join(self.lines[-30:])


def proc_cpu(pid):
    """CPU seconds (user + system, all threads) process pid has used so
    far, from /proc (clock-tick resolution); None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            st = f.read()
    except OSError:
        return None
    # Fields after the command name, which is in parentheses.
    rest = st[st.rindex(")") + 2:].split()
    return (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")


def fields(lines, tag):
    """{key: value} of the last `TAG k=v ...` line (anywhere in a line:
    the console may glue it to other output); None if there is none."""
    found = None
    for line in lines:
        i = line.find(tag + " ")
        if i < 0:
            continue
        kv = {}
        for w in line[i + len(tag) + 1:].split():
            if "=" in w:
                k, v = w.split("=", 1)
                kv[k] = v
        found = kv
    return found


def begin(setup):
    """The header of a run: the host, the setup line, a load warning."""
    print(host_summary())
    print(setup)
    w = load_warning()
    if w:
        print(w)


def finish(problems):
    """The end of a run: a load warning again, the problems; the exit
    status (1 with problems)."""
    w = load_warning()
    if w:
        print(w)
    if problems:
        print("FAIL:\n" + "\n".join(problems))
        return 1
    return 0


def geomean(xs):
    xs = [x for x in xs if x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else 0.0


def cmdline(argv):
    return " ".join(shlex.quote(a) for a in argv)


def median(xs):
    return statistics.median(xs) if xs else float("nan")
