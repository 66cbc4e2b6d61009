#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Linux-guest RISC-V CPU benchmark (issue 12), printed, never judged on time.

  bench-rv-linux.py ATOLL_CPU GUEST_BENCH NATIVE_GUEST_BENCH

Boots the guest kit (kernel + initramfs of scripts/build-guest.sh) with
GUEST_BENCH (tests/bench/rv/guest-bench.c built static for riscv64) and a
script added as a second initramfs archive appended to the kit's (the
kernel unpacks both; the kit is not rebuilt), under atoll-cpu (standalone,
one run per engine: block, and jit when offered) and qemu-system-riscv64
-M virt with the same firmware, kernel, initrd and command line,
alternating, BENCH_PAIRS pairs (default 7, the order flipping every pair).
Each boot runs, timed inside the guest (CLOCK_MONOTONIC):
  - mix: sieve, CRC32, qsort with a function-pointer compare, matmul,
    pointer chase (each part also printed);
  - sha256: sha256sum (busybox) of a BENCH_MB (default 64) MiB file that
    the guest generated before (xorshift; not timed);
  - forkexec: 300 fork + exec of /bin/true;
and, timed by the host, boot: from the emulator's start to init's first
line on the console.
Printed: medians of each, the geometric mean over the pairs of QEMU time /
atoll time (above 1: atoll faster), the geomean over mix, sha256,
forkexec and boot, the process CPU time of a whole run, and the commands.
NATIVE_GUEST_BENCH (the same source built for the host) gives the limit
the mix parts are checked against: an emulated figure faster than the
host natively is wrong and printed as a WARNING.

Fails (exit 1) only if a run fails or a checksum differs between runs.
Skips (77) without the guest kit, OpenSBI or a built binary.
Environment: BENCH_PAIRS, BENCH_ENGINES (e.g. block,jit), BENCH_HARTS
(default 1), BENCH_MB, BENCH_FORKS (default 300), ATOLL_GUEST_DIR.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(here, "..", "guest"))
from bench_rv_common import (QEMU, SKIP, Run, begin, cmdline,  # noqa: E402
                             finish, geomean, median, pair_order,
                             pick_engines, proc_cpu, unbuilt, usage)
from guest_boot import FIRMWARE, guest_dir  # noqa: E402

TIMEOUT = 900
HEADLINE = ["mix", "sha256", "forkexec", "boot"]
PARTS = ["mix-sieve", "mix-crc32", "mix-qsort", "mix-matmul", "mix-chase"]
SCRIPT = """#!/bin/sh
/bench/guest-bench boot
/bench/guest-bench mix
/bench/guest-bench gen /tmp/big {mb} || echo BENCH-GEN-FAILED
/bench/guest-bench time sha256 /usr/bin/sha256sum /tmp/big
rm -f /tmp/big
/bench/guest-bench forkexec {forks} /bin/true
"""


def make_initrd(kit, guest_bench, tmp, mb, forks):
    """The kit's initramfs with a second archive appended: /bench/."""
    root = os.path.join(tmp, "root")
    os.makedirs(os.path.join(root, "bench"))
    shutil.copy(guest_bench, os.path.join(root, "bench", "guest-bench"))
    script = os.path.join(root, "bench", "run.sh")
    with open(script, "w") as f:
        f.write(SCRIPT.format(mb=mb, forks=forks))
    os.chmod(script, 0o755)
    os.chmod(os.path.join(root, "bench", "guest-bench"), 0o755)
    names = "bench\nbench/guest-bench\nbench/run.sh\n"
    cpio = subprocess.run(["cpio", "-o", "-H", "newc", "-R", "0:0",
                           "--quiet"], input=names.encode(), cwd=root,
                          capture_output=True, check=True).stdout
    gz = subprocess.run(["gzip", "-9n"], input=cpio, capture_output=True,
                        check=True).stdout
    out = os.path.join(tmp, "initrd.cpio.gz")
    with open(out, "wb") as f, \
            open(os.path.join(kit, "initramfs.cpio.gz"), "rb") as k:
        f.write(k.read())
        f.write(gz)
    return out


APPEND = "console=ttyS0 quiet atoll.run=/bench/run.sh"


def atoll_argv(cpu, kit, initrd, harts, engine):
    return [cpu, "--machine", "riscv-virt", "--cpus", str(harts),
            "--memory", "256M", "--firmware", FIRMWARE,
            "--kernel", f"{kit}/Image", "--initrd", initrd,
            "--append", APPEND, "--engine", engine]


def qemu_argv(kit, initrd, harts):
    return [QEMU, "-M", "virt", "-smp", str(harts), "-m", "256M",
            "-nographic", "-bios", FIRMWARE, "-kernel", f"{kit}/Image",
            "-initrd", initrd, "-append", APPEND]


class Boot:
    """One boot: {name: seconds} and {name: checksum} of its BENCH lines,
    and {name: host CPU seconds} the emulator spent between a workload's
    BENCH-BEGIN and BENCH lines (read from /proc as they arrive)."""

    def __init__(self, argv):
        self.boot = None
        self.cpu, began = {}, {}

        def on_line(line, t, pid):
            if self.boot is None and "ATOLL-MARKER kernel=" in line:
                self.boot = t
                self.cpu["boot"] = proc_cpu(pid)
            m = re.search(r"BENCH(-BEGIN)? name=(\S+)", line)
            if m and m.group(1):
                began[m.group(2)] = proc_cpu(pid)
            elif m and began.get(m.group(2)) is not None:
                now = proc_cpu(pid)
                if now is not None:
                    self.cpu[m.group(2)] = now - began[m.group(2)]
        self.run = Run(argv, TIMEOUT, on_line)
        self.secs, self.sums = {}, {}
        digest = None
        for line in self.run.lines:
            m = re.search(r"BENCH name=(\S+) ns=(\d+) sum=([0-9a-f]+)", line)
            if m:
                self.secs[m.group(1)] = int(m.group(2)) / 1e9
                self.sums[m.group(1)] = m.group(3)
            m = re.search(r"\b([0-9a-f]{64})  /tmp/big", line)
            if m:
                digest = m.group(1)
        # `time sha256` reports sha256sum's exit status as its sum: 0, or
        # the run failed; the checksum is the digest sha256sum printed.
        sha_ok = self.sums.get("sha256") == "0" * 16 and digest
        self.sums["sha256"] = digest
        if self.boot is not None:
            self.secs["boot"] = self.boot
        self.sums.pop("boot-guest", None)  # its time is its result
        self.guest_boot = self.secs.pop("boot-guest", None)
        exit_ok = any("ATOLL-MARKER run-exit=0" in l for l in self.run.lines)
        self.ok = (self.run.rc == 0 and exit_ok and sha_ok and
                   all(k in self.secs for k in HEADLINE + PARTS))


def print_table(kinds, engines, res, nsecs, attr, title):
    """One row per workload: checksum, native seconds, each kind's median
    of attr ('secs' or 'cpu'), each engine's geomean of per-pair QEMU/atoll
    ratios; WARNING lines for impossible or too short figures. Returns
    {engine: [ratio of each headline workload]}."""
    print(f"\n{title}")
    print(f"{'workload':12} {'checksum':>16} {'native':>8} " +
          " ".join(f"{k:>8}" for k in kinds) + "".join(
              f"  {e + '/qemu':>18}" for e in engines if "qemu" in res))
    gm = {e: [] for e in engines}
    for n in PARTS + HEADLINE:
        vals = {k: [getattr(b, attr).get(n) for b in res[k]] for k in kinds}
        any_run = next((b for k in kinds for b in res[k]), None)
        s = (any_run.sums.get(n) or "") if any_run else ""
        line = f"{n:12} {s[:16]:>16} {nsecs.get(n, float('nan')):8.3f} "
        meds = {k: median([v for v in vals[k] if v is not None])
                for k in kinds}
        line += " ".join(f"{meds[k]:8.3f}" for k in kinds)
        for e in engines:
            if "qemu" not in res:
                continue
            pr = [q / a for q, a in zip(vals["qemu"], vals[e])
                  if q and a]
            r = geomean(pr)
            line += f"  x{r:.3f} ({len(pr)} pairs)"
            if n in HEADLINE and pr:
                gm[e].append(r)
        print(line)
        for k in kinds:
            if n in nsecs and meds[k] < nsecs[n] * 0.95:
                print(f"  WARNING: {k} ran {n} in {meds[k]:.3f} s, faster "
                      f"than the host natively ({nsecs[n]:.3f} s): wrong")
            if n != "boot" and meds[k] < 0.5:
                print(f"  WARNING: {k}'s {n} took {meds[k]:.3f} s: short")
    return gm


def main():
    rc = usage(__doc__, 3)
    if rc is not None:
        return rc
    cpu, gb, native = sys.argv[1:]
    rc = unbuilt((cpu, gb, native), os.R_OK)
    if rc is not None:
        return rc
    if not os.path.isfile(FIRMWARE):
        print(f"SKIP: {FIRMWARE} missing (apt-get install opensbi)")
        return SKIP
    kit = guest_dir()
    pairs = int(os.environ.get("BENCH_PAIRS", "7"))
    harts = int(os.environ.get("BENCH_HARTS", "1"))
    mb = int(os.environ.get("BENCH_MB", "64"))
    forks = int(os.environ.get("BENCH_FORKS", "300"))
    engines = pick_engines(cpu)
    kinds = engines + (["qemu"] if shutil.which(QEMU) else [])
    begin(f"engines: {', '.join(engines)}; pairs: {pairs}; harts: {harts}; "
          f"sha256 of {mb} MiB; {forks} fork+exec; kit {kit}")
    nat = subprocess.run([native, "mix"], capture_output=True, text=True)
    nsecs = {m.group(1): int(m.group(2)) / 1e9 for m in
             re.finditer(r"BENCH name=(\S+) ns=(\d+)", nat.stdout)}
    problems = []
    with tempfile.TemporaryDirectory(prefix="bench-rv-linux-") as tmp:
        initrd = make_initrd(kit, gb, tmp, mb, forks)
        argv = {e: atoll_argv(cpu, kit, initrd, harts, e) for e in engines}
        argv["qemu"] = qemu_argv(kit, initrd, harts)
        for k in kinds:
            print(f"  {k:7} {cmdline(argv[k])}")
        print(f"  native  {cmdline([native, 'mix'])}")
        print(f"  guest   {SCRIPT.format(mb=mb, forks=forks).strip()}"
              .replace("\n", "\n          "))
        res = {k: [] for k in kinds}
        for i in range(pairs):
            for k in pair_order(kinds, i):
                b = Boot(argv[k])
                if b.ok:
                    res[k].append(b)
                    print(f"  pair {i + 1} {k}: " + " ".join(
                        f"{n}={b.secs[n]:.3f}" for n in HEADLINE) +
                        f" cpu={b.run.cpu:.2f}", flush=True)
                else:
                    problems.append(f"{k} run {i + 1} failed (exit "
                                    f"{b.run.rc}): {cmdline(argv[k])}\n"
                                    f"{b.run.text()}")
                    print(f"  pair {i + 1} {k}: FAILED", flush=True)
    # Checksums: one value per workload across every run.
    for n in PARTS + ["mix", "sha256", "forkexec"]:
        seen = {(k, b.sums.get(n)) for k in res for b in res[k]}
        if len({s for _, s in seen}) > 1:
            problems.append(f"{n}: CHECKSUM MISMATCH: {sorted(seen, key=str)}")
            print(f"ERROR: {n}: checksum mismatch: {sorted(seen, key=str)}")
    gm = {"secs": print_table(kinds, engines, res, nsecs, "secs",
                              "in-guest seconds (boot: host wall time to "
                              "init's first line)"),
          "cpu": print_table(kinds, engines, res, {}, "cpu",
                             "host CPU seconds of the emulator process "
                             "during each workload (boot: from its start)")}
    for k in kinds:
        g = [b.guest_boot for b in res[k] if b.guest_boot is not None]
        if g:
            print(f"boot as the guest kernel sees it (CLOCK_BOOTTIME at "
                  f"init's run script), {k}: median {median(g):.3f} s")
    for k in kinds:
        if res[k]:
            print(f"process CPU time of a whole run, {k}: median "
                  f"{median([b.run.cpu for b in res[k]]):.2f} s, wall "
                  f"{median([b.run.wall for b in res[k]]):.2f} s")
    for e in engines:
        if gm["secs"][e]:
            print(f"geometric mean over {', '.join(HEADLINE)}, {e} vs qemu: "
                  f"x{geomean(gm['secs'][e]):.3f} in-guest time, "
                  f"x{geomean(gm['cpu'][e]):.3f} CPU time")
    return finish(problems)


if __name__ == "__main__":
    sys.exit(main())
