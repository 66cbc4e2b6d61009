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
      EV_SYN; send-key with an unknown qcode is refused. QMP
      input-send-event {abs x 100, abs y 200, btn left down} reaches the
      tablet's eventN as ABS_X 100, ABS_Y 200, BTN_LEFT 1, EV_SYN; a rel
      event (there is no mouse) is refused.

  guest_input.py vnc ATOLL DEVICE
      The same keyboard and tablet with a virtio-gpu and display: vnc. A
      minimal RFB client (here, in the test) sends KeyEvent 'a' down and
      up and a PointerEvent at (512, 384): the keyboard's eventN shows
      EV_KEY 30 1, SYN, EV_KEY 30 0, SYN; the tablet's ABS_X and ABS_Y
      scaled to 0..32767 of the 1024x768 screen, SYN.

  guest_input.py vnc-usb ATOLL DEVICE
      The same over VNC, to atoll-usb's USB keyboard and tablet (kind
      usb; DEVICE is atoll-usb): the display's input reaches a USB
      keyboard as it does a virtio-input one (Linux's hid-input adds an
      MSC_SCAN before each key, which is not compared).

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

# Events sent before a reader opened the device are not kept for it: the
# guest says ready once each dd holds its event device open.
OPENED = ("for p in {pids}; do j=0; while ! ls -l /proc/$p/fd 2>/dev/null | "
          "grep -q input/event && [ $j -lt 100 ]; do sleep 0.2; "
          "j=$((j+1)); done; done; ")

READ = (
    "for e in /sys/class/input/event*; do "
    "grep -q 'Atoll Keyboard' $e/device/name && dev=/dev/input/${e##*/}; "
    "grep -q 'Atoll Tablet' $e/device/name && tab=/dev/input/${e##*/}; "
    "done; echo ATOLL-INPUT names=$(cat /sys/class/input/input*/name | "
    "tr ' ' _ | tr '\\n' ,); "
    "dd if=$dev of=/tmp/ev bs=24 count=4 2>/dev/null & pid=$!; "
    "dd if=$tab of=/tmp/t bs=24 count=4 2>/dev/null & t=$!; "
    + OPENED.format(pids="$pid $t") +
    "echo ATOLL-INPUT ready=$dev; i=0; "
    "while (kill -0 $pid || kill -0 $t) 2>/dev/null && [ $i -lt 120 ]; do "
    "sleep 0.5; i=$((i+1)); done; "
    "echo ATOLL-INPUT events=$(od -An -tx1 -v /tmp/ev | tr -d ' \\n') "
    "tablet=$(od -An -tx1 -v /tmp/t | tr -d ' \\n')")


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
        try:
            q.execute("input-send-event", {"events": [
                {"type": "rel", "data": {"axis": "x", "value": 1}}]})
            out["rel-accepted"] = True
        except RuntimeError:
            pass
        q.execute("input-send-event", {"events": [
            {"type": "abs", "data": {"axis": "x", "value": 100}},
            {"type": "abs", "data": {"axis": "y", "value": 200}},
            {"type": "btn", "data": {"button": "left", "down": True}}]})
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
    if out.get("rel-accepted"):
        problems.append("input-send-event accepted a rel event")
    tab = events(v.get("tablet", ""))
    want_tab = [(3, 0, 100), (3, 1, 200), (EV_KEY, 0x110, 1), (EV_SYN, 0, 0)]
    if tab != want_tab:
        problems.append(f"the tablet's events are {tab}, wanted {want_tab}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: virtio-input keyboard and tablet bound ({names}); "
          f"send-key a reached {v.get('ready')} as {got}; input-send-event "
          f"reached the tablet as {tab}")
    return 0


def read_both(kbd_name, tab_name, kbd_events):
    """The guest's part of a vnc check: readers of the keyboard's and the
    tablet's event devices (found by name), ready once both are open."""
    # USB devices enumerate after init starts: look for up to 30 s.
    return (
        "kbd=; tab=; j=0; while [ ${#kbd} = 0 -o ${#tab} = 0 ] && "
        "[ $j -lt 60 ]; do sleep 0.5; j=$((j+1)); "
        "for e in /sys/class/input/event*; do "
        f"grep -qx '{kbd_name}' $e/device/name && kbd=/dev/input/${{e##*/}}; "
        f"grep -qx '{tab_name}' $e/device/name && tab=/dev/input/${{e##*/}}; "
        "done; done; "
        f"dd if=$kbd of=/tmp/k bs=24 count={kbd_events} 2>/dev/null & k=$!; "
        "dd if=$tab of=/tmp/t bs=24 count=3 2>/dev/null & t=$!; "
        + OPENED.format(pids="$k $t") +
        "echo ATOLL-INPUT ready=$kbd; i=0; "
        "while (kill -0 $k || kill -0 $t) 2>/dev/null && [ $i -lt 120 ]; do "
        "sleep 0.5; i=$((i+1)); done; "
        "echo ATOLL-INPUT keys=$(od -An -tx1 -v /tmp/k | tr -d ' \\n') "
        "pointer=$(od -An -tx1 -v /tmp/t | tr -d ' \\n')")


def rfb_type_and_point(port, x, y):
    """A minimal RFB 3.8 client (no authentication): key 'a' down and up,
    then the pointer to (x, y) with no button."""
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=30)

    def recv(n):
        b = b""
        while len(b) < n:
            chunk = s.recv(n - len(b))
            if not chunk:
                raise OSError("server closed")
            b += chunk
        return b
    recv(12)
    s.sendall(b"RFB 003.008\n")
    types = recv(recv(1)[0])
    if 1 not in types:
        raise OSError(f"no 'None' security type in {types!r}")
    s.sendall(b"\x01")
    if struct.unpack(">I", recv(4))[0] != 0:
        raise OSError("security handshake failed")
    s.sendall(b"\x01")                      # ClientInit: shared
    w, h = struct.unpack(">HH", recv(4))
    recv(16)
    recv(struct.unpack(">I", recv(4))[0])   # desktop name
    s.sendall(struct.pack(">BBxxI", 4, 1, ord("a")))
    s.sendall(struct.pack(">BBxxI", 4, 0, ord("a")))
    s.sendall(struct.pack(">BBHH", 5, 0, x, y))
    import time
    time.sleep(1)
    s.close()
    return w, h


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


VIRTIO_INPUT = ("  - name: kbd0\n    kind: virtio-input\n"
                "    type: keyboard\n    restart: never\n"
                "  - name: tab0\n    kind: virtio-input\n"
                "    type: tablet\n    restart: never\n")
# atoll-usb's keyboard and tablet; Linux names a USB HID device
# "manufacturer product" and adds an MSC_SCAN before each key event.
USB_INPUT = ("  - name: usb0\n    kind: usb\n    restart: never\n"
             "    ports:\n      - type: keyboard\n      - type: tablet\n")
EV_MSC = 4


def check_vnc(atoll, kit, tmp, usb=False):
    yaml, qmp = os.path.join(tmp, "v.yaml"), os.path.join(tmp, "v.qmp")
    port = free_port()
    guest = (read_both("Atoll Atoll USB Keyboard", "Atoll Atoll USB Tablet", 6)
             if usb else read_both("Atoll Keyboard", "Atoll Tablet", 4))
    write_manifest(yaml, kit, guest, "  - name: gpu0\n"
                   "    kind: virtio-gpu\n    restart: never\n"
                   + (USB_INPUT if usb else VIRTIO_INPUT),
                   extra=f"qmp: {qmp}\ndisplay:\n  type: vnc\n"
                   f"  listen: 127.0.0.1:{port}\n")
    ready, out = threading.Event(), {}

    def client():
        if not ready.wait(600):
            return
        try:
            out["size"] = rfb_type_and_point(port, 512, 384)
        except OSError as e:
            out["error"] = str(e)
    th = threading.Thread(target=client, daemon=True)
    th.start()
    rc, lines = run([atoll, "run", yaml], on_line=lambda l: l.startswith(
        "ATOLL-INPUT ready=/dev/input/") and ready.set())
    ready.set()
    th.join(30)
    v = values(lines, "ATOLL-INPUT")
    keys = [e for e in events(v.get("keys", "")) if e[0] != EV_MSC]
    pointer = events(v.get("pointer", ""))
    w, h = out.get("size", (640, 480))
    want_keys = [(EV_KEY, KEY_A, 1), (EV_SYN, 0, 0), (EV_KEY, KEY_A, 0),
                 (EV_SYN, 0, 0)]
    want_pointer = [(3, 0, 512 * 32767 // (w - 1)),
                    (3, 1, 384 * 32767 // (h - 1)), (EV_SYN, 0, 0)]
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (poweroff)")
    if "error" in out:
        problems.append(f"the RFB client: {out['error']}")
    if keys != want_keys:
        problems.append(f"keyboard events {keys}, wanted {want_keys}")
    if pointer != want_pointer:
        problems.append(f"tablet events {pointer}, wanted {want_pointer}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: over VNC ({w}x{h}){' to atoll-usb' if usb else ''}, key 'a' reached the keyboard as "
          f"{keys} and the pointer at (512, 384) the tablet as {pointer}")
    return 0


if __name__ == "__main__":
    sys.exit(guest_main(__doc__, "atoll-input-", {"keys": check_keys,
                                                 "vnc": check_vnc,
                                                 "vnc-usb": lambda a, k, t:
                                                 check_vnc(a, k, t, True)}))
