#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""atoll-virtio-input in a Linux guest (riscv-virt, 2 harts), run by
`atoll run` under its sandbox profile.

  guest_input.py keys ATOLL DEVICE
      A virtio-input keyboard and tablet: the stock virtio_input driver
      binds both ("Atoll Keyboard", "Atoll Tablet" in
      /sys/class/input/*/name). The guest reads the keyboard's
      /dev/input/eventN (24-byte struct input_event); QMP send-key
      {qcode a} arrives as EV_KEY KEY_A (30) 1, EV_SYN, EV_KEY KEY_A 0,
      EV_SYN; send-key with an unknown qcode is refused.

Skips (77) with a reason when a binary, the guest kit, OpenSBI or user
namespaces are missing.
"""
import os
import struct
import sys
import threading

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "guest"))
sys.path.insert(0, os.path.join(here, "..", "guest-blk"))
from guest_blk import (Qmp, guest_main, run, values,  # noqa: E402
                       write_manifest)

KEY_A, EV_KEY, EV_SYN = 30, 1, 0

READ = (
    "for e in /sys/class/input/event*; do "
    "grep -q 'Atoll Keyboard' $e/device/name && dev=/dev/input/${e##*/}; "
    "done; echo ATOLL-INPUT names=$(cat /sys/class/input/input*/name | "
    "tr ' ' _ | tr '\\n' ,); "
    "dd if=$dev of=/tmp/ev bs=24 count=4 2>/dev/null & pid=$!; "
    "echo ATOLL-INPUT ready=$dev; i=0; "
    "while kill -0 $pid 2>/dev/null && [ $i -lt 120 ]; do sleep 0.5; "
    "i=$((i+1)); done; "
    "echo ATOLL-INPUT events=$(od -An -tx1 -v /tmp/ev | tr -d ' \\n')")


def events(hexstr):
    """(type, code, value) of each 24-byte struct input_event (64-bit)."""
    raw = bytes.fromhex(hexstr)
    return [struct.unpack("<HHi", raw[i + 16:i + 24])
            for i in range(0, len(raw) - 23, 24)]


def check_keys(atoll, kit, tmp):
    yaml, qmp = os.path.join(tmp, "k.yaml"), os.path.join(tmp, "k.qmp")
    write_manifest(yaml, kit, READ, "  - name: kbd0\n"
                   "    kind: virtio-input\n    type: keyboard\n"
                   "    restart: never\n  - name: tab0\n"
                   "    kind: virtio-input\n    type: tablet\n"
                   "    restart: never\n", extra=f"qmp: {qmp}\n")
    ready, out = threading.Event(), {}

    def press():
        if not ready.wait(600):
            return
        q = Qmp(qmp)
        try:
            q.execute("send-key", {"keys": [{"type": "qcode",
                                             "data": "nosuchkey"}]})
            out["bad-accepted"] = True
        except RuntimeError:
            pass
        q.execute("send-key", {"keys": [{"type": "qcode", "data": "a"}]})
    th = threading.Thread(target=press, daemon=True)
    th.start()
    rc, lines = run([atoll, "run", yaml], on_line=lambda l: l.startswith(
        "ATOLL-INPUT ready=/dev/input/") and ready.set())
    ready.set()
    th.join(30)
    v = values(lines, "ATOLL-INPUT")
    got = events(v.get("events", ""))
    want = [(EV_KEY, KEY_A, 1), (EV_SYN, 0, 0), (EV_KEY, KEY_A, 0),
            (EV_SYN, 0, 0)]
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (poweroff)")
    names = v.get("names", "")
    if "Atoll_Keyboard" not in names or "Atoll_Tablet" not in names:
        problems.append(f"input devices {names!r}: the driver did not "
                        "bind both")
    if got != want:
        problems.append(f"the keyboard's events are {got}, wanted {want}")
    if out.get("bad-accepted"):
        problems.append("send-key accepted an unknown qcode")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: virtio-input keyboard and tablet bound ({names}); "
          f"send-key a reached {v.get('ready')} as {got}")
    return 0


if __name__ == "__main__":
    sys.exit(guest_main(__doc__, "atoll-input-", {"keys": check_keys}))
