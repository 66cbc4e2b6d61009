#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Sequential read from a USB disk in a Linux guest, printed (never judged
on time): atoll-usb (xHCI + bulk-only mass storage, its own process) beside
QEMU 7.2's qemu-xhci + usb-storage in the same run, on the same image,
kernel and initramfs (the guest kit), 2 harts, 256 MiB each. Each side
twice: SuperSpeed (atoll-usb's default disk; QEMU's usb-storage on
qemu-xhci as issue 15 names it: Linux reads it in 1 MiB requests) and
high speed (atoll-usb's `speed: high`; qemu-xhci,p3=0, no USB 3 ports:
120 KiB requests).

  bench-usb-storage.py ATOLL ATOLL_USB

The guest times `dd if=/dev/sda of=/dev/null bs=1M` of the whole image
(busybox dd's own figure, from the guest's clock) right after boot, so the
page cache is cold. Runs alternate, each round in a rotated order;
medians over $ATOLL_BENCH_RUNS rounds (default 5) of a $ATOLL_USB_BENCH_MB
MiB image (default 256).

Each figure is checked before it counts:
  - the host's own clock: the time between the guest's "start" line and
    dd's line reaching the host bounds dd's time from above (the guest
    clock of an emulator can be wrong); a guest time above it, or far
    below it, marks the figure suspect and it is left out;
  - a physical limit: a rate above the host's memcpy bandwidth, measured
    here, is impossible (each byte is copied at least once);
  - start-up: a dd shorter than 1 s says little about the device.

Skips (77) with a reason when a binary, the guest kit, OpenSBI, user
namespaces or qemu-system-riscv64 are missing.
"""
import os
import re
import shlex
import shutil
import statistics
import sys
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "guest"))
sys.path.insert(0, os.path.join(here, "..", "guest-blk"))
from guest_boot import SKIP, guest_dir  # noqa: E402
from guest_blk import (guest_unavailable, launcher_argv, run,  # noqa: E402
                       write_manifest)

MB = int(os.environ.get("ATOLL_USB_BENCH_MB", "256"))
PAIRS = int(os.environ.get("ATOLL_BENCH_RUNS", "5"))
HARTS, MEM = 2, "256M"
MIN_SECONDS = 1.0

# USB enumeration goes on after init starts: wait for the disk (up to
# 120 s: the DBT is slower than QEMU), then read it once, cold.
READ = ("i=0; while [ ! -b /dev/sda ] && [ $i -lt 1200 ]; do sleep 0.1; "
        "i=$((i+1)); done; echo ATOLL-BENCH start; "
        "dd if=/dev/sda of=/dev/null bs=1M 2>&1 | grep copied | "
        "sed 's/^/ATOLL-BENCH read /'; echo ATOLL-BENCH end")


def qemu_argv(kit, img, xhci="qemu-xhci"):
    return ["qemu-system-riscv64", "-M", "virt", "-smp", str(HARTS),
            "-m", MEM, "-nographic", "-bios", "default",
            "-kernel", f"{kit}/Image", "-initrd", f"{kit}/initramfs.cpio.gz",
            "-append", f'console=ttyS0 quiet atoll.run="{READ}"',
            "-device", xhci,
            "-drive", f"if=none,id=u,file={img},format=raw",
            "-device", "usb-storage,drive=u"]


def memcpy_gbps():
    """The host's copy bandwidth (GB/s), best of 5 copies of 256 MiB
    between buffers already in memory (memmove, no page faults)."""
    src, dst = bytearray(b"\1" * (256 << 20)), bytearray(256 << 20)
    best = None
    for _ in range(5):
        t = time.perf_counter()
        dst[:] = src
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return len(src) / best / 1e9


def one_run(cmd, limit_mbs):
    """Runs cmd; returns (MB/s by the guest's dd or None, host-seen MB/s or
    None, a note: why the figure is left out, or '')."""
    seen = {}

    def stamp(line):
        for tag in ("start", "read"):
            if line.startswith("ATOLL-BENCH " + tag) and tag not in seen:
                seen[tag] = time.monotonic()
    t0 = time.monotonic()
    rc, lines = run(cmd, echo=False, on_line=stamp)
    m = None
    for line in lines:
        m = re.search(r"ATOLL-BENCH read (\d+) bytes .* copied, "
                      r"([0-9.]+) s", line) or m
    if rc != 0 or not m or "start" not in seen or "read" not in seen:
        tail = "\n".join("#   " + l for l in lines[-15:])
        return None, None, (f"failed (status {rc}, "
                            f"{time.monotonic() - t0:.0f} s); last lines:\n"
                            f"{tail}")
    n, secs = int(m.group(1)), float(m.group(2))
    host = seen["read"] - seen["start"]
    guest_mbs = n / secs / 1e6 if secs > 0 else float("inf")
    host_mbs = n / host / 1e6 if host > 0 else float("inf")
    note = ""
    if n != MB << 20:
        note = f"read {n} bytes, not the {MB << 20} of the image"
    elif guest_mbs > limit_mbs or host_mbs > limit_mbs:
        note = (f"{max(guest_mbs, host_mbs):.0f} MB/s is above the host's "
                f"memcpy bandwidth {limit_mbs:.0f} MB/s: impossible")
    elif secs > host * 1.1 + 0.2:
        note = (f"the guest's clock says {secs:.2f} s, the host saw "
                f"{host:.2f} s: the guest clock runs fast")
    elif secs < host * 0.5 - 0.5:
        note = (f"the guest's clock says {secs:.2f} s, the host saw "
                f"{host:.2f} s: the guest clock runs slow")
    elif secs < MIN_SECONDS:
        note = (f"dd took {secs:.2f} s: too short to say much "
                "(raise ATOLL_USB_BENCH_MB)")
    return guest_mbs, host_mbs, note


def fill(path):
    """An image of MB MiB that is not sparse, the same for both."""
    block = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for i in range(MB):
            f.write(block[i % 256:] + block[:i % 256])


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    atoll, usb = sys.argv[1:]
    why = guest_unavailable((atoll, usb))
    if why:
        print(f"SKIP: {why}")
        return SKIP
    if not shutil.which("qemu-system-riscv64"):
        print("SKIP: qemu-system-riscv64 not installed (qemu-system-misc)")
        return SKIP
    kit = guest_dir()
    import tempfile
    with tempfile.TemporaryDirectory(prefix="atoll-bench-usb-") as tmp:
        os.chmod(tmp, 0o755)
        return bench(atoll, kit, tmp)


def bench(atoll, kit, tmp):
    img, yaml = os.path.join(tmp, "usb.img"), os.path.join(tmp, "usb.yaml")
    yaml_hs = os.path.join(tmp, "usb-hs.yaml")
    fill(img)
    for path, extra in ((yaml, ""), (yaml_hs, ", speed: high")):
        write_manifest(path, kit, READ, "  - name: usb0\n    kind: usb\n"
                       "    restart: never\n    ports:\n"
                       f"      - {{type: storage, image: usb.img{extra}}}\n")
    limit = memcpy_gbps() * 1000
    # QEMU's usb-storage is a SuperSpeed device on qemu-xhci, as
    # atoll-usb's is by default: Linux's usb-storage sends it 1 MiB
    # requests; on a high-speed port (QEMU with no USB 3 ports: p3=0;
    # atoll-usb's `speed: high`), 120 KiB (max_sectors 240). Both speeds
    # of both are measured.
    cmds = {"atoll": [atoll, "run", yaml], "qemu": qemu_argv(kit, img),
            "atoll-hs": [atoll, "run", yaml_hs],
            "qemu-hs": qemu_argv(kit, img, "qemu-xhci,p3=0")}
    print(f"# commands (the guest command line is {READ!r}):")
    for name in cmds:
        print(f"#   {name}: " + shlex.join(launcher_argv(cmds[name])))
    for path in (yaml, yaml_hs):
        print("# manifest " + path + ":")
        with open(path) as f:
            print("".join("#   " + l for l in f))
    print(f"# host memcpy bandwidth {limit:.0f} MB/s (the physical limit); "
          "load average %.2f %.2f %.2f at the start" % os.getloadavg())
    names = ["atoll", "qemu", "atoll-hs", "qemu-hs"]
    figs = {n: [] for n in names}
    for i in range(PAIRS):
        # Each round in another order, so that no side always goes first.
        k = i % len(names)
        for name in names[k:] + names[:k]:
            g, h, note = one_run(cmds[name], limit)
            shown = "failed" if g is None else \
                f"guest {g:8.2f} MB/s  host-seen {h:8.2f} MB/s"
            print(f"# round {i + 1} {name:8} {shown}"
                  + (f"  LEFT OUT: {note}" if note else ""), flush=True)
            if g is not None and not note:
                figs[name].append((g, h))
    print("# load average %.2f %.2f %.2f at the end (%d host cores)"
          % (os.getloadavg() + (os.cpu_count(),)))
    print(f"# sequential read of a {MB} MiB USB disk in the guest, "
          f"dd bs=1M, cold cache; median of the runs that passed the "
          f"checks (of {PAIRS} rounds, order rotated)")
    print(f"{'':42}{'n':>3}{'guest MB/s':>12}{'host-seen MB/s':>16}"
          f"{'guest min..max':>18}")
    med = {}
    for name, label in (("qemu", "qemu 7.2 qemu-xhci + usb-storage (5 Gb/s)"),
                        ("atoll", "atoll-usb (own process, 5 Gb/s)"),
                        ("qemu-hs", "qemu 7.2 qemu-xhci,p3=0 (480 Mb/s)"),
                        ("atoll-hs", "atoll-usb speed: high (480 Mb/s)")):
        f = figs[name]
        if not f:
            print(f"{label:42}{0:>3}  (no valid run)")
            continue
        med[name] = (statistics.median(x[0] for x in f),
                     statistics.median(x[1] for x in f))
        spread = f"{min(x[0] for x in f):.1f}..{max(x[0] for x in f):.1f}"
        print(f"{label:42}{len(f):>3}{med[name][0]:>12.2f}"
              f"{med[name][1]:>16.2f}{spread:>18}")
    for a, ref in (("atoll", "qemu"), ("atoll-hs", "qemu-hs"),
                   ("atoll", "atoll-hs")):
        if a in med and ref in med:
            print(f"{'ratio ' + a + '/' + ref:42}{'':>3}"
                  f"{med[a][0] / med[ref][0]:>11.2f}x"
                  f"{med[a][1] / med[ref][1]:>15.2f}x")
    # A benchmark reports; it fails only when there is nothing to report.
    return 0 if "atoll" in med and "qemu" in med else 1


if __name__ == "__main__":
    sys.exit(main())
