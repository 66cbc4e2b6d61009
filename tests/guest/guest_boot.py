#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Boots the Atoll guest kit (scripts/build-guest.sh) and checks or times it.

  guest_boot.py check ATOLL_CPU     boot under atoll-cpu (2 harts), check the
                                    ATOLL-MARKER lines and a clean exit
  guest_boot.py console ATOLL_CPU   shell on the console: type a long line
                                    (far beyond the 16-byte UART FIFO) and
                                    check that every byte arrived
  guest_boot.py vdso ATOLL_CPU      four processes read the clock through
                                    the vDSO on both harts while the tick
                                    updates its data; none may fault
  guest_boot.py qemu                time qemu-system-riscv64 -M virt alone
  guest_boot.py bench ATOLL_CPU     time both in the same run, print ratios
  guest_boot.py bench-loaded ATOLL_CPU
                                    the same while one busy loop per host
                                    core competes with the guest's harts

The guest kit is found through $ATOLL_GUEST_DIR, else the build cache's
'current' pointer. Without it (or without QEMU for qemu/bench) the test is
skipped with exit status 77.
"""
import os
import re
import subprocess
import sys
import time

SKIP = 77
FIRMWARE = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"
TIMEOUT = int(os.environ.get("ATOLL_GUEST_TIMEOUT", "300"))
HARTS = 2


def guest_dir():
    d = os.environ.get("ATOLL_GUEST_DIR")
    if not d:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
        d = os.path.join(cache, "atoll", "guest", "current")
    for f in ("Image", "initramfs.cpio.gz"):
        if not os.path.isfile(os.path.join(d, f)):
            print(f"SKIP: guest kit not built ({d}/{f} missing); "
                  "run scripts/build-guest.sh or set ATOLL_GUEST_DIR")
            sys.exit(SKIP)
    return os.path.realpath(d)


def atoll_cmd(cpu, d, append="console=ttyS0"):
    return [cpu, "--machine", "riscv-virt", "--cpus", str(HARTS),
            "--memory", "256M", "--kernel", f"{d}/Image",
            "--initrd", f"{d}/initramfs.cpio.gz", "--append", append]


def qemu_cmd(d, append="console=ttyS0"):
    return ["qemu-system-riscv64", "-M", "virt", "-smp", str(HARTS),
            "-m", "256M", "-nographic", "-bios", "default",
            "-kernel", f"{d}/Image", "-initrd", f"{d}/initramfs.cpio.gz",
            "-append", append]


def boot(cmd, echo=False):
    """Runs cmd; returns (exit status or None on timeout, output lines,
    seconds to the first marker or None, total seconds)."""
    start = time.monotonic()
    init_at = None
    lines = []
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    deadline = start + TIMEOUT
    try:
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if echo:
                print(line, flush=True)
            if init_at is None and "ATOLL-MARKER kernel=" in line:
                init_at = time.monotonic() - start
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(cmd, TIMEOUT)
        rc = p.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc = None
    return rc, lines, init_at, time.monotonic() - start


def markers(lines):
    m = {}
    for line in lines:
        hit = re.search(r"ATOLL-MARKER (\w+)(?:=(.*))?$", line)
        if hit:
            m[hit.group(1)] = (hit.group(2) or "").strip()
    return m


def check(cpu):
    d = guest_dir()
    if not os.path.isfile(FIRMWARE):
        print(f"SKIP: {FIRMWARE} missing (apt-get install opensbi)")
        return SKIP
    rc, lines, init_at, total = boot(atoll_cmd(cpu, d), echo=True)
    m = markers(lines)
    problems = []
    if rc is None:
        problems.append(f"no exit within {TIMEOUT}s")
    elif rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (poweroff)")
    if not re.fullmatch(r"6\.1\.\d+.*", m.get("kernel", "")):
        problems.append(f"kernel marker {m.get('kernel')!r}, wanted 6.1.x")
    if m.get("harts") != str(HARTS):
        problems.append(f"harts marker {m.get('harts')!r}, wanted {HARTS}")
    if not m.get("isa", "").startswith("rv64"):
        problems.append(f"isa marker {m.get('isa')!r}, wanted rv64...")
    if "poweroff" not in m:
        problems.append("init never reached its poweroff")
    print(f"# boot-to-init {fmt(init_at)}, total {total:.2f}s")
    if not problems:
        print("PASS: Linux booted under atoll-cpu and powered off")
        return 0
    seen = [l for l in lines if "OpenSBI" in l or "Linux version" in l
            or "Run /init" in l]
    print("FAIL: " + "; ".join(problems))
    print("# milestones seen: " + (" | ".join(seen) or "none"))
    return 1


# busybox awk's srand() reads the clock (time() through the vDSO); four
# loops on two harts race the timer tick's vDSO data update, so readers
# often find the sequence count odd and spin in the vDSO's cpu_relax().
# Linux 6.1 built without CONFIG_JUMP_LABEL reads a kernel static key
# there through an unrelocated pointer and faults at address 0x4.
VDSO_READS = 100000
VDSO_CMD = ("echo 7 > /proc/sys/kernel/printk; for k in 1 2 3 4; do "
            f"(awk 'BEGIN{{for(i=0;i<{VDSO_READS};i++)srand(); print 1}}' "
            ">/dev/null && echo ATOLL-VDSO ok=$k) & done; wait")


def vdso(cpu):
    d = guest_dir()
    if not os.path.isfile(FIRMWARE):
        print(f"SKIP: {FIRMWARE} missing (apt-get install opensbi)")
        return SKIP
    rc, lines, _, total = boot(atoll_cmd(
        cpu, d, f'console=ttyS0 quiet atoll.run="{VDSO_CMD}"'), echo=True)
    done = {l.split("ok=")[1] for l in lines if l.startswith("ATOLL-VDSO ok=")}
    faults = [l for l in lines if "unhandled signal" in l or
              "Segmentation fault" in l]
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (poweroff)")
    if faults:
        problems.append("a clock reader faulted: " + faults[0].strip())
    if len(done) != 4:
        problems.append(f"{len(done)} of 4 clock-reading loops finished")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: 4 x {VDSO_READS} vDSO clock reads on {HARTS} harts, "
          f"no fault ({total:.1f}s)")
    return 0


def read_until(p, buf, needle, deadline):
    """Reads p.stdout into buf (bytearray) until needle shows up."""
    import select
    while needle not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or p.poll() is not None:
            return False
        r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                return needle in buf
            buf += chunk
    return True


def console(cpu):
    """Waits for the shell prompt before typing: input sent earlier may be
    flushed by the guest's own tty setup, which is not what this tests."""
    d = guest_dir()
    if not os.path.isfile(FIRMWARE):
        print(f"SKIP: {FIRMWARE} missing (apt-get install opensbi)")
        return SKIP
    payload = "".join(chr(ord("a") + i % 26) for i in range(300))
    p = subprocess.Popen(atoll_cmd(cpu, d, "console=ttyS0 quiet atoll.shell=1"),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    buf = bytearray()
    deadline = time.monotonic() + TIMEOUT
    ok = read_until(p, buf, b"ATOLL-MARKER shell", deadline) and \
        read_until(p, buf, b"# ", deadline)
    if ok:
        # The sum proves the shell parsed the whole line, not just echoed it.
        p.stdin.write(f"echo {payload} | wc -c; echo SUM-$((6*7))\n".encode())
        p.stdin.flush()
        ok = read_until(p, buf, b"SUM-42", deadline)
    p.stdin.write(b"poweroff -f\n")
    p.stdin.flush()
    try:
        rc = p.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    read_until(p, buf, b"\0never", time.monotonic() + 0.1)
    text = buf.decode("utf-8", "replace")
    print(text)
    # wc -c counts the 300 letters plus echo's newline.
    if not ok or not re.search(r"^301\r?$", text, re.M):
        print("FAIL: the long line did not arrive intact")
        return 1
    if rc != 0:
        print(f"FAIL: exit status {rc}, wanted 0")
        return 1
    print("PASS: 300+ bytes typed on the console arrived intact")
    return 0


def fmt(x):
    return "n/a" if x is None else f"{x:.3f}s"


def time_runs(name, cmd, runs):
    best_init, best_total, ok = None, None, True
    for _ in range(runs):
        rc, lines, init_at, total = boot(cmd)
        if rc != 0 or init_at is None:
            ok = False
            print(f"# {name}: run failed (status {rc}); last lines:")
            print("\n".join("#   " + l for l in lines[-5:]))
            continue
        best_init = init_at if best_init is None else min(best_init, init_at)
        best_total = total if best_total is None else min(best_total, total)
    return ok, best_init, best_total


def qemu_only():
    d = guest_dir()
    if not shutil_which("qemu-system-riscv64"):
        print("SKIP: qemu-system-riscv64 not installed (qemu-system-misc)")
        return SKIP
    ok, i, t = time_runs("qemu", qemu_cmd(d), 3)
    print(f"qemu-system-riscv64 -M virt -smp {HARTS}: boot-to-init {fmt(i)}, "
          f"boot-to-poweroff {fmt(t)} (best of 3)")
    return 0 if ok else 1


def host_load(n, seconds):
    """Starts n busy-loop processes that end by themselves after seconds
    (the caller also kills them); returns the Popen objects."""
    loop = f"end=$(( $(date +%s) + {seconds} )); " \
           "while [ $(date +%s) -lt $end ]; do i=0; " \
           "while [ $i -lt 20000 ]; do i=$((i+1)); done; done"
    return [subprocess.Popen(["sh", "-c", loop]) for _ in range(n)]


def bench(cpu, load=0):
    d = guest_dir()
    if not shutil_which("qemu-system-riscv64"):
        print("SKIP: qemu-system-riscv64 not installed (qemu-system-misc)")
        return SKIP
    runs = int(os.environ.get("ATOLL_BENCH_RUNS", "3"))
    hogs = host_load(load, 20 * runs * 2 + 60) if load else []
    try:
        qok, qi, qt = time_runs("qemu", qemu_cmd(d), runs)
        aok, ai, at = time_runs("atoll-cpu", atoll_cmd(cpu, d), runs)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    print(f"{'':18}{'boot-to-init':>14}{'boot-to-poweroff':>18}")
    print(f"{'qemu (TCG)':18}{fmt(qi):>14}{fmt(qt):>18}")
    print(f"{'atoll-cpu (dbt)':18}{fmt(ai):>14}{fmt(at):>18}")
    if qi and ai and qt and at:
        print(f"{'ratio atoll/qemu':18}{ai / qi:>13.2f}x{at / qt:>17.2f}x")
    print(f"# best of {runs} runs each, {HARTS} harts, 256 MiB, same guest kit"
          + (f", {load} busy host processes" if load else ""))
    # Benchmarks never fail on timing; a guest that does not boot is an error.
    return 0 if qok and aok else 1


def shutil_which(name):
    import shutil
    return shutil.which(name)


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    mode = sys.argv[1]
    if mode == "check" and len(sys.argv) == 3:
        return check(sys.argv[2])
    if mode == "bench" and len(sys.argv) == 3:
        return bench(sys.argv[2])
    if mode == "bench-loaded" and len(sys.argv) == 3:
        return bench(sys.argv[2], load=os.cpu_count() or 2)
    if mode == "console" and len(sys.argv) == 3:
        return console(sys.argv[2])
    if mode == "vdso" and len(sys.argv) == 3:
        return vdso(sys.argv[2])
    if mode == "qemu":
        return qemu_only()
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
