#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Bare-metal RISC-V CPU benchmark (issue 12), printed, never judged on time.

  bench-rv-bare.py ATOLL_CPU PROG_DIR NATIVE

Runs each workload (tests/bench/rv: int, mem, branch, fp, a CoreMark-like
mix) as its own process under atoll-cpu (--bios none --bare, one run per
engine: block, and jit when atoll-cpu offers it) and under
qemu-system-riscv64 -M virt -bios none -kernel, alternating, BENCH_PAIRS
pairs (default 7; the order flips every pair). Each program times its
work inside the guest with mtime (10 MHz on both) and prints a checksum;
the figures are medians of the in-guest seconds and of the process CPU
seconds less the emulator's start-up (the CPU time of bm-nop, which does
nothing), guest instructions per second (MIPS from the in-guest time,
MIPScpu from the CPU time) from the instruction count that atoll's
minstret gives for the timed part, and the geometric mean over the pairs
of QEMU time / atoll time (above 1: atoll faster). The in-guest time is
wall-clock: on a busy host the CPU figures are the steadier ones.

Sanity checks printed as WARNING lines: a figure above what the host does
natively for the same work (NATIVE runs it compiled for the host), a run
whose process CPU time is far above its in-guest time (start-up counts),
a run shorter than 0.5 s, a loaded host.

Fails (exit 1) only if a run fails or a checksum differs between atoll's
engines, QEMU and the native build. Skips (77) without the programs.
Environment: BENCH_PAIRS, BENCH_ENGINES (e.g. block,jit), BENCH_ONLY
(e.g. int,fp), BENCH_INTERP=1 (also one interpreter run per workload).
"""
import os
import shutil
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_rv_common import (QEMU, SKIP, Run, begin, cmdline,  # noqa: E402
                             fields, finish, geomean, median, pair_order,
                             pick_engines, unbuilt, usage)

WORKLOADS = ["int", "mem", "branch", "fp", "mix"]
TIMEOUT = 600


def atoll_argv(cpu, elf, engine):
    return [cpu, "--machine", "riscv-virt", "--memory", "64M", "--bios",
            "none", "--bare", elf, "--engine", engine]


def qemu_argv(elf):
    return [QEMU, "-M", "virt", "-m", "64M", "-bios", "none", "-display",
            "none", "-serial", "stdio", "-monitor", "none", "-kernel", elf]


class Result:
    def __init__(self, run):
        self.run = run
        f = fields(run.lines, "BENCH") or {}
        self.ok = run.rc == 0 and "sum" in f and "ticks" in f
        self.sum = f.get("sum")
        try:
            self.secs = int(f["ticks"]) / int(f["hz"])
            self.instret = int(f["instret"])
        except (KeyError, ValueError):
            self.secs, self.instret = 0.0, 0


def one(argv, label, problems):
    r = Result(Run(argv, TIMEOUT))
    if not r.ok:
        problems.append(f"{label}: run failed (exit {r.run.rc}"
                        f"{', timed out' if r.run.timed_out else ''}): "
                        f"{cmdline(argv)}\n{r.run.text()}")
    return r


def startup(cpu, progs, engines, problems):
    """{kind: median process CPU seconds of bm-nop}: what start-up and
    shut-down cost each emulator, taken off the CPU figures."""
    elf = os.path.join(progs, "bm-nop.elf")
    argv = {e: atoll_argv(cpu, elf, e) for e in engines}
    if shutil.which(QEMU):
        argv["qemu"] = qemu_argv(elf)
    out = {}
    for k in argv:
        rs = [one(argv[k], f"nop {k}", problems) for _ in range(3)]
        out[k] = median([r.run.cpu for r in rs if r.ok] or [0.0])
    print("start-up + shut-down (process CPU time of bm-nop, median of 3): " +
          ", ".join(f"{k} {v * 1e3:.0f} ms" for k, v in out.items()))
    return out


def bench(name, cpu, progs, native, engines, pairs, problems, base):
    elf = os.path.join(progs, f"bm-{name}.elf")
    print(f"\n== {name}")
    nat = one([native, name], f"{name} native", problems)
    kinds = engines + (["qemu"] if shutil.which(QEMU) else [])
    argv = {e: atoll_argv(cpu, elf, e) for e in engines}
    argv["qemu"] = qemu_argv(elf)
    if os.environ.get("BENCH_INTERP") == "1":
        argv["interp"] = atoll_argv(cpu, elf, "interp")
        r = one(argv["interp"], f"{name} interp", problems)
        res_interp = [r] if r.ok else []
    else:
        res_interp = []
    for k in kinds:
        print(f"  {k:7} {cmdline(argv[k])}")
    print(f"  native  {cmdline([native, name])}")
    res = {k: [] for k in kinds}
    for i in range(pairs):
        for k in pair_order(kinds, i):
            r = one(argv[k], f"{name} {k} run {i + 1}", problems)
            if r.ok:
                res[k].append(r)
    if res_interp:
        res["interp"] = res_interp
    # The checksum: one value across every run and the native build.
    sums = {(k, r.sum) for k in res for r in res[k]}
    if nat.ok:
        sums.add(("native", nat.sum))
    if len({s for _, s in sums}) > 1:
        problems.append(f"{name}: CHECKSUM MISMATCH: " +
                        ", ".join(f"{k}={s}" for k, s in sorted(sums)))
        print(f"  ERROR: checksum mismatch: {sorted(sums)}")
    counts = {r.instret for e in engines + ["interp"] for r in res.get(e, [])}
    insns = max(counts) if counts else 0
    if len(counts) > 1:
        print(f"  WARNING: atoll's engines count different instructions "
              f"for the timed part: {sorted(counts)}")
    sumtxt = next((r.sum for k in res for r in res[k]), "?")
    print(f"  checksum {sumtxt}; {insns / 1e9:.3f} G guest instructions "
          "timed (atoll minstret)")
    nat_mips = insns / nat.secs / 1e6 if nat.ok and nat.secs else 0
    print(f"  {'':7} {'guest s':>8} {'cpu s':>8} {'MIPS':>7} {'MIPScpu':>7}"
          "  vs qemu: geomean of per-pair qemu/atoll, guest s / cpu s")
    if nat.ok:
        print(f"  {'native':7} {'':>8} {nat.secs:8.3f} {nat_mips:7.0f} "
              f"{nat_mips:7.0f}  (the host running the same work: the "
              "limit)")
    ratios = {}
    for k in res:
        if not res[k]:
            continue
        g = median([r.secs for r in res[k]])
        # CPU seconds of the run less the emulator's start-up
        c = median([r.run.cpu for r in res[k]]) - base.get(k, 0.0)
        mips = insns / g / 1e6 if g else 0
        cmips = insns / c / 1e6 if c > 0 else 0
        line = f"  {k:7} {g:8.3f} {c:8.3f} {mips:7.0f} {cmips:7.0f}"
        if k != "qemu" and res.get("qemu") and k != "interp":
            n = min(len(res[k]), len(res["qemu"]))
            rg = [res["qemu"][j].secs / res[k][j].secs for j in range(n)]
            rc = [(res["qemu"][j].run.cpu - base.get("qemu", 0.0)) /
                  (res[k][j].run.cpu - base.get(k, 0.0)) for j in range(n)]
            ratios[k] = (geomean(rg), geomean(rc))
            line += f"  x{geomean(rg):.3f} / x{geomean(rc):.3f} ({n} pairs)"
        print(line)
        # Sanity: the physical limit and start-up.
        if nat_mips and max(mips, cmips) > nat_mips * 1.05:
            print(f"  WARNING: {k} at {max(mips, cmips):.0f} MIPS is above the host's "
                  f"native {nat_mips:.0f} MIPS for this dependency chain: "
                  "the figure is wrong (not the guest's own time?)")
        if g < 0.5:
            print(f"  WARNING: {k} ran {g:.3f} s in the guest: too short, "
                  "start-up and timer granularity weigh in")
        if c > g * 1.15 + 0.05:
            print(f"  WARNING: {k}'s process CPU time {c:.3f} s is well "
                  f"above its in-guest time {g:.3f} s: other threads "
                  "count in the CPU figure")
        if base.get(k, 0.0) > 0.1 * (c + base.get(k, 0.0)):
            print(f"  WARNING: {k}'s start-up is over a tenth of its run: "
                  "start-up dominated")
        if g > c * 1.3 + 0.05:
            print(f"  note: {k}'s in-guest time is {g / c:.1f}x its CPU "
                  "time: the host was busy; the CPU figures are the "
                  "steadier ones")
    return ratios


def main():
    rc = usage(__doc__, 3)
    if rc is not None:
        return rc
    cpu, progs, native = sys.argv[1:]
    rc = unbuilt((cpu, native), os.X_OK)
    if rc is not None:
        return rc
    only = [w for w in os.environ.get("BENCH_ONLY", "").split(",") if w]
    todo = [w for w in WORKLOADS if not only or w in only]
    for w in todo + ["nop"]:
        if not os.path.isfile(os.path.join(progs, f"bm-{w}.elf")):
            print(f"SKIP: {progs}/bm-{w}.elf not built (no riscv64 cross "
                  "compiler?)")
            return SKIP
    pairs = int(os.environ.get("BENCH_PAIRS", "7"))
    engines = pick_engines(cpu)
    begin(f"engines: {', '.join(engines)}; pairs: {pairs}; "
          f"{'qemu: ' + shutil.which(QEMU) if shutil.which(QEMU) else 'no qemu-system-riscv64: atoll figures only'}")
    problems, all_ratios = [], {e: [] for e in engines}
    base = startup(cpu, progs, engines, problems)
    for name in todo:
        for e, r in bench(name, cpu, progs, native, engines, pairs,
                          problems, base).items():
            all_ratios[e].append(r)
    print()
    for e in engines:
        if all_ratios[e]:
            print(f"geometric mean over {len(all_ratios[e])} workloads, "
                  f"{e} vs qemu: x"
                  f"{geomean([r[0] for r in all_ratios[e]]):.3f} in-guest "
                  f"time, x{geomean([r[1] for r in all_ratios[e]]):.3f} "
                  "CPU time")
    return finish(problems)


if __name__ == "__main__":
    sys.exit(main())
