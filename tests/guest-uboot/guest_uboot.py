#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""U-Boot as an ELF kernel, run with the real launcher (`atoll run`):
Debian's OpenSBI fw_jump.bin as boot.firmware, U-Boot's uboot.elf
(qemu-riscv64_smode) as boot.kernel and a virtio-blk disk, as
`qemu-system-riscv64 -M virt -bios fw_jump.bin -kernel uboot.elf` runs it.

  guest_uboot.py ATOLL ATOLL_BLK   stop autoboot at U-Boot's prompt, run
                                   `virtio scan; virtio info`, check the
                                   disk is listed at its size, power off

The ELF must be loaded by its program headers (at 0x80200000, where
fw_jump jumps): copied whole, the hart would run its header and the
console would stay silent after the OpenSBI banner. Without u-boot-qemu,
opensbi or a binary the test is skipped with exit status 77 and a reason.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "guest"))
sys.path.insert(0, os.path.join(HERE, "..", "guest-blk"))
from guest_boot import SKIP, read_until  # noqa: E402
from guest_blk import make_disk, no_seccomp_kill  # noqa: E402

FW_JUMP = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin"
UBOOT = "/usr/lib/u-boot/qemu-riscv64_smode/uboot.elf"
# Only a time-out: U-Boot under the DBT reaches its prompt in well under a
# minute on a loaded two-core host.
TIMEOUT = int(os.environ.get("ATOLL_GUEST_TIMEOUT", "300"))
DISK_MB = 32
# The command line echo shows ${m}; only U-Boot's expansion prints DONE.
DONE = b"ATOLL-UBOOT-DONE"


def manifest(path, disk):
    """The boot files are copied beside the manifest: the launcher lets a
    manifest name files only there (and under --image-dir)."""
    tmp = os.path.dirname(path)
    fw, kernel = (os.path.join(tmp, os.path.basename(f))
                  for f in (FW_JUMP, UBOOT))
    shutil.copyfile(FW_JUMP, fw)
    shutil.copyfile(UBOOT, kernel)
    with open(path, "w") as f:
        f.write(f"""name: uboot
machine:
  type: riscv-virt
  cpus: 1
memory:
  size: 256M
boot:
  firmware: {fw}
  kernel: {kernel}
console: stdio
devices:
  - name: disk0
    kind: virtio-blk
    path: {disk}
    restart: never
""")


def send(p, text):
    p.stdin.write(text.encode())
    p.stdin.flush()


def session(atoll, yaml):
    """Returns (reached the end, exit status or None, console text)."""
    p = subprocess.Popen([atoll, "run", yaml], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    buf = bytearray()
    deadline = time.monotonic() + TIMEOUT
    # Any key stops the autoboot countdown; a prompt reached some other
    # way (autoboot failed) serves as well.
    ok = read_until(p, buf, b"Hit any key to stop autoboot", deadline)
    if ok:
        send(p, "\n")
        ok = read_until(p, buf, b"=> ", deadline)
    if ok:
        send(p, "virtio scan; virtio info; setenv m DONE; "
                "echo ATOLL-UBOOT-${m}\n")
        ok = read_until(p, buf, DONE, deadline)
    try:
        send(p, "poweroff\n")
        rc = p.wait(timeout=max(1, deadline - time.monotonic()))
    except (subprocess.TimeoutExpired, BrokenPipeError):
        p.kill()
        rc = p.wait()
    read_until(p, buf, b"\0never", time.monotonic() + 0.5)
    return ok, rc, buf.decode("utf-8", "replace")


def check(atoll, tmp):
    disk = os.path.join(tmp, "disk.img")
    yaml = os.path.join(tmp, "uboot.yaml")
    make_disk(disk, DISK_MB)
    manifest(yaml, disk)
    t0 = time.monotonic()
    ok, rc, text = session(atoll, yaml)
    print(text, flush=True)
    no_seccomp_kill(text.splitlines())
    problems = []
    if "OpenSBI" not in text:
        problems.append("no OpenSBI banner")
    if not re.search(r"U-Boot 20\d\d", text):
        problems.append("no U-Boot banner after OpenSBI's (the ELF was "
                        "not placed by its program headers?)")
    if not ok:
        problems.append(f"no U-Boot prompt and command output within "
                        f"{TIMEOUT}s")
    info = re.search(r"Device 0: 1af4 VirtIO Block Device\s+"
                     r"Type: Hard Disk\s+Capacity: [^\n]*\((\d+) x 512\)",
                     text)
    if not info:
        problems.append("`virtio info` did not list the virtio-blk disk")
    elif int(info.group(1)) != (DISK_MB << 20) // 512:
        problems.append(f"disk has {info.group(1)} sectors, wanted "
                        f"{(DISK_MB << 20) // 512}")
    if rc != 0:
        problems.append(f"exit status {rc} after `poweroff`, wanted 0")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: OpenSBI fw_jump + U-Boot ELF reached the prompt and "
          f"listed the {DISK_MB} MiB virtio disk "
          f"({time.monotonic() - t0:.0f}s)")
    return 0


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    atoll, blk = sys.argv[1:]
    for b in (atoll, blk):
        if not os.access(b, os.X_OK):
            print(f"SKIP: {b} is not built")
            return SKIP
    for f, pkg in ((FW_JUMP, "opensbi"), (UBOOT, "u-boot-qemu")):
        if not os.path.isfile(f):
            print(f"SKIP: {f} missing (apt-get install {pkg})")
            return SKIP
    with tempfile.TemporaryDirectory(prefix="atoll-uboot-") as tmp:
        os.chmod(tmp, 0o755)
        return check(atoll, tmp)


if __name__ == "__main__":
    sys.exit(main())
