#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""atoll-virtio-gpu in a Linux guest (riscv-virt, 2 harts), run by `atoll
run` under its sandbox profile.

  guest_gpu.py fb ATOLL DEVICE
      The stock virtio-gpu driver binds and DRM's fbdev emulation gives
      /dev/fb0 at the device's preferred mode (1024x768, 32 bpp, from its
      display info and EDID). fbcon is unbound so that nothing else draws;
      the guest writes a full-screen pattern into /dev/fb0 in 64 KiB
      blocks (Linux 6.1's fbdev drops a write of exactly one scanline),
      waits for the damage worker's transfer and flush, and powers off.
      When the guest's power-off resets it, the device logs a 64-bit
      FNV-1a of what its scanout memfd shows; it must be the pattern's,
      computed here.

Skips (77) with a reason when a binary, the guest kit, OpenSBI or user
namespaces are missing.
"""
import os
import re
import sys

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "guest"))
sys.path.insert(0, os.path.join(here, "..", "guest-blk"))
from guest_blk import guest_main, run, values, write_manifest  # noqa: E402

WIDTH, HEIGHT = 1024, 768
FB_BYTES = WIDTH * HEIGHT * 4
# 17-byte lines: every row of the screen starts somewhere else in them.
LINE = b"0123456789abcdef\n"

FB_CMD = (
    "for v in /sys/class/vtconsole/vtcon*; do grep -q frame $v/name && "
    "echo 0 > $v/bind; done; "
    f"yes 0123456789abcdef | head -c {FB_BYTES} > /tmp/p; "
    "dd if=/tmp/p of=/dev/fb0 bs=65536 2>/dev/null && wrote=ok; "
    "sleep 2; g=/sys/class/graphics/fb0; "
    "echo ATOLL-GPU size=$(cat $g/virtual_size) bpp=$(cat $g/bits_per_pixel) "
    "stride=$(cat $g/stride) name=$(cat $g/name) wrote=$wrote; "
    "dmesg | grep -i 'virtio.gpu\\|fb0'")


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def pattern():
    n = FB_BYTES // len(LINE) + 1
    return (LINE * n)[:FB_BYTES]


def check_fb(atoll, kit, tmp):
    yaml = os.path.join(tmp, "gpu.yaml")
    write_manifest(yaml, kit, FB_CMD, "  - name: gpu0\n"
                   "    kind: virtio-gpu\n    restart: never\n")
    # The device's shut-down line is at level info (children inherit it).
    os.environ["ATOLL_LOG"] = "info"
    rc, lines = run([atoll, "run", yaml])
    v = values(lines, "ATOLL-GPU")
    hashes = [m.group(1) for m in (re.search(
        r"scanout hash ([0-9a-f]{16})", l) for l in lines)
        if m and m.group(1) != "0" * 16]
    want = f"{fnv1a64(pattern()):016x}"
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (poweroff)")
    if v.get("size") != f"{WIDTH},{HEIGHT}" or v.get("bpp") != "32":
        problems.append(f"/dev/fb0 is {v.get('size')} at {v.get('bpp')} "
                        f"bpp, wanted {WIDTH},{HEIGHT} at 32")
    if v.get("stride") != str(WIDTH * 4):
        problems.append(f"fb0 stride {v.get('stride')}, wanted {WIDTH * 4}")
    if v.get("wrote") != "ok":
        problems.append("the write to /dev/fb0 failed")
    if not hashes:
        problems.append("the device logged no hash of a scanout shown")
    elif hashes[-1] != want:
        problems.append(f"the scanout's hash is {hashes[-1]}, the "
                        f"pattern's {want}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: virtio-gpu bound ({v.get('name')}), /dev/fb0 "
          f"{v.get('size')}, the scanout shows the {FB_BYTES}-byte "
          f"pattern (hash {want})")
    return 0


if __name__ == "__main__":
    sys.exit(guest_main(__doc__, "atoll-gpu-", {"fb": check_fb}))
