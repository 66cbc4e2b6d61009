#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A Linux guest sees DEVICE_NEEDS_RESET when the launcher gives up on its
disk, and the VM runs on. The disk's restart policy allows no restart
(restart: {max: 0}); the device is killed once the guest has read the
virtio status; the guest then polls /sys/bus/virtio/devices/virtio0/status
until bit 0x40 (DEVICE_NEEDS_RESET) is set and prints it. Usage:
guest-needs-reset.py check ATOLL BLK (skips, 77, without the guest kit)."""
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "guest-blk"))
import guest_blk as gb  # noqa: E402

STATUS = "/sys/bus/virtio/devices/virtio0/status"
# before: the status while the device serves; after: once bit 0x40 is set
# (or 60 s passed), read with the VM still running.
CMD = ("s(){ echo ATOLL-NR $1=$(cat " + STATUS + ");};s before;i=0;"
       "while [ $i -lt 300 ];do [ $(($(cat " + STATUS + ")&64)) -ne 0 ]"
       "&&break;sleep 0.2;i=$((i+1));done;s after")


def check(atoll, kit, tmp):
    disk, qmp = os.path.join(tmp, "n.img"), os.path.join(tmp, "n.qmp")
    gb.make_disk(disk, 16)
    gb.manifest(os.path.join(tmp, "n.yaml"), kit, disk, CMD,
                extra=f"qmp: {qmp}\n", restart="{max: 0}")
    ready, killed = threading.Event(), []

    def killer():
        if not ready.wait(gb.TIMEOUT):
            return
        q = gb.Qmp(qmp)
        d = q.device("disk0")
        os.kill(d["pid"], signal.SIGKILL)
        killed.append(d["pid"])

    th = threading.Thread(target=killer, daemon=True)
    th.start()
    rc, lines = gb.run([atoll, "-v", "run", os.path.join(tmp, "n.yaml")],
                       on_line=lambda l: l.startswith("ATOLL-NR before=") and
                       ready.set(), timeout=min(gb.TIMEOUT, 240))
    ready.set()
    th.join(10)
    v = gb.values(lines, "ATOLL-NR")
    before, after = (int(v.get(k, "0"), 16) for k in ("before", "after"))
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (the VM runs on)")
    if not killed:
        problems.append("the device was not killed")
    if not any("gave up after 0 restarts" in l and
               "the guest sees NEEDS_RESET, the VM keeps running" in l
               for l in lines):
        problems.append("the launcher did not say it gave up on disk0")
    if before & 0x40 or not before & 0x04:
        problems.append(f"status before the kill {before:#x}: wanted "
                        "DRIVER_OK without NEEDS_RESET")
    if not after & 0x40:
        problems.append(f"the guest never saw NEEDS_RESET (status "
                        f"{after:#x})")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: status {before:#x} while serving, {after:#x} after the "
          "launcher gave up on the device; the guest ran on and powered off")
    return 0


if __name__ == "__main__":
    sys.exit(gb.guest_main(__doc__, "atoll-nr-", {"check": check}))
