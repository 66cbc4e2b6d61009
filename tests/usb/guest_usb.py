#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""atoll-usb (an xHCI controller in its own process) in a Linux guest
(riscv-virt, 2 harts), run by `atoll run` under its sandbox profile. The
guest runs a shell on the console and the test types its commands, so a
check can act between two of them (QMP input, a kill).

  guest_usb.py devices ATOLL ATOLL_USB
      One VM with a keyboard (vendor 0x1234, product 0x5678), a tablet and
      a disk (vendor 0x4321, product 0x8765) on the controller:
      - /sys/bus/usb/devices holds the three with those ids (HID
        interfaces for keyboard and tablet, mass storage for the disk);
      - the disk is SuperSpeed (sysfs speed 5000, on the USB 3 root hub)
        and Linux's usb-storage gives it requests above high speed's
        120 KiB (queue/max_sectors_kb; 1024 in Linux 6.1);
      - md5sum /dev/sda is the host image's; a 64 KiB pattern the guest
        writes at byte 151552 (dd conv=fsync, sync) reads back in the guest
        after drop_caches and is in the image file after the VM stopped;
      - QMP send-key a, then b, reaches the keyboard's /dev/input/eventN
        (the one under HID device 0003:1234:5678) as KEY_A and KEY_B down
        and up, each followed by EV_SYN (the MSC_SCAN events Linux's
        hid-input adds are not compared); input-send-event {abs x, abs y,
        btn left down} reaches the tablet's eventN as ABS_X, ABS_Y and
        BTN_LEFT 1 in one report ending in EV_SYN.

  guest_usb.py redir ATOLL ATOLL_USB
      The usbredir peer (tests/usb/redir-peer.c, $ATOLL_USBREDIR_PEER,
      vendor 0x5a5a, product 0x0042, bulk IN giving 64 KiB of its pattern)
      listens on a socket and the manifest attaches it by `socket:`. The
      guest sees its ids, strings, vendor-class interface and endpoints in
      sysfs. The guest kernel has no driver for such a device and busybox
      no USB tool, so guest-bulk.c (built here with riscv64-linux-gnu-gcc,
      static and without libc, and typed on the console) does a bulk IN of
      64 KiB through usbfs: its size, byte sum, FNV-1a and first bytes are
      the pattern's; then a bulk OUT of 64 KiB, which the peer counts.

  guest_usb.py crash ATOLL ATOLL_USB
      Item 5 of issue 15, two VMs with a disk on the controller (restart
      on-failure): in one the test has the launcher crash atoll-usb (QMP
      inject-fault crash; $ATOLL_USB_KILLS times, default 3, each after 3
      more acknowledged blocks) while the guest writes numbered 64 KiB
      blocks (dd conv=fsync, then sync: "acknowledged" once both returned
      0 and /dev/sda was still the disk); in the other it SIGKILLs
      atoll-usb (its pid from query-processes) with the guest idle after 3
      acknowledged blocks. Each time: the launcher starts a new process; a
      console command answers within ALIVE_S seconds (the guest did not
      hang). After the last kill the guest tries 4 more blocks (does the
      disk work after the restart?) and the test prints what the guest saw
      (dmesg's tail). After each VM
      stops, every acknowledged block is in the image. Whether the disk
      comes back is printed, not judged (issue 15 asks that the guest
      neither hang nor lose an acknowledged write).

Skips (77) with a reason when a binary, the guest kit, OpenSBI or user
namespaces are missing (redir: also the peer).
"""
import hashlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
for d in ("guest", "guest-blk", "input"):
    sys.path.insert(0, os.path.join(here, "..", d))
from guest_blk import (Qmp, TIMEOUT, guest_main,  # noqa: E402
                       launcher_argv, no_seccomp_kill, write_manifest)
from guest_input import OPENED, events  # noqa: E402

TAG = "ATOLL-USB"
KBD_IDS, DISK_IDS = ("1234", "5678"), ("4321", "8765")
EV_SYN, EV_KEY, EV_ABS, EV_MSC = 0, 1, 3, 4
KEY_A, KEY_B, BTN_LEFT = 30, 48, 0x110
# A console command answers within this many seconds, or the guest hung.
ALIVE_S = 60
# The guest's own work (enumeration, a dd) is done within this; the
# guest's own waits (WAIT) give up sooner, so their answer still comes.
STEP_S = 150

# init runs this, then a shell on the console: no echo, so what the test
# types does not come back mixed with the answers; and no kernel messages
# on the console (the test reads dmesg when it wants them).
SETUP = "dmesg -n 1; stty -echo"


class Console:
    """`atoll run` of a manifest whose guest ends in a shell on the console:
    the test types lines on stdin and waits for TAG lines on stdout."""

    def __init__(self, argv):
        self.p = subprocess.Popen(
            launcher_argv(argv), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        # Each line and the host's CLOCK_MONOTONIC time it arrived.
        self.lines, self.times, self.cond = [], [], threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.deadline = time.monotonic() + TIMEOUT

    def _read(self):
        for raw in self.p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            print(line, flush=True)
            with self.cond:
                self.lines.append(line)
                self.times.append(time.monotonic())
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)           # end of output
            self.cond.notify_all()

    def wait(self, regex, timeout, start=0):
        """The first line from index `start` that regex matches (search),
        as (index, match); (None, None) at the end of the output or after
        timeout seconds."""
        end = min(time.monotonic() + timeout, self.deadline)
        i = start
        with self.cond:
            while True:
                while i < len(self.lines):
                    if self.lines[i] is None:
                        return None, None
                    m = re.search(regex, self.lines[i])
                    if m:
                        return i, m
                    i += 1
                left = end - time.monotonic()
                if left <= 0:
                    return None, None
                self.cond.wait(left)

    def mark(self):
        with self.cond:
            return len(self.lines)

    def type(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def expect(self, key, timeout=STEP_S, start=0):
        """The key=value pairs of the first line `TAG key=...` from index
        start on, or None if it did not come."""
        _, m = self.wait(rf"{TAG} {key}=(.*)$", timeout, start)
        if not m:
            return None
        return dict(kv.split("=", 1) for kv in
                    f"{key}={m.group(1)}".split() if "=" in kv)

    def ask(self, line, key, timeout=STEP_S):
        """Types line, which ends by printing `TAG key=...`; returns the
        key=value pairs of that line, or None if it did not come."""
        start = self.mark()
        self.type(line)
        return self.expect(key, timeout, start)

    def ended(self):
        with self.cond:
            return bool(self.lines) and self.lines[-1] is None

    def sync(self):
        """Waits for the shell: input typed before it reads the console
        may be lost, so the probe is typed again until it answers."""
        i, _ = self.wait(r"ATOLL-MARKER shell", STEP_S)
        if i is None:
            return False
        for _ in range(30):
            if self.ask("echo ATOLL-USB sync=$((40 + 2))", "sync", 2):
                return True
        return False

    def close(self, timeout=30):
        """Powers the guest off; returns atoll's exit status (None if it
        had to be killed) and every line."""
        try:
            self.type("sync; poweroff -f")
        except OSError:
            pass
        try:
            rc = self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = None
        self.reader.join(10)
        lines = [l for l in self.lines if l is not None]
        return rc, no_seccomp_kill(lines)


CROSS_CC = "riscv64-linux-gnu-gcc"


def build_helper(tmp):
    """guest-bulk.c built for the guest (static, no libc), or a reason
    why it could not be."""
    cc = shutil.which(CROSS_CC)
    if not cc:
        return None, f"{CROSS_CC} not installed (gcc-riscv64-linux-gnu)"
    out = os.path.join(tmp, "guest-bulk")
    r = subprocess.run([cc, "-Os", "-Wall", "-Wextra", "-Werror",
                        "-ffreestanding", "-fno-builtin", "-nostdlib",
                        "-static", "-no-pie", "-fno-pie",
                        "-fno-stack-protector",
                        "-fno-asynchronous-unwind-tables", "-Wl,--no-relax",
                        "-Wl,--build-id=none", "-Wl,--no-warn-rwx-segments",
                        "-s", "-o", out, os.path.join(here, "guest-bulk.c")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode != 0:
        return None, "guest-bulk.c: " + r.stdout.decode(errors="replace")
    return out, None


def install_helper(con, path):
    """Types the helper on the console (gzip, base64; busybox has both)
    as /tmp/gb; True once the guest holds all of it."""
    import base64
    import gzip
    with open(path, "rb") as f:
        raw = f.read()
    text = base64.b64encode(gzip.compress(raw, 9)).decode()
    con.type("base64 -d <<'EOF' | gunzip > /tmp/gb; chmod +x /tmp/gb; "
             "echo ATOLL-USB helper=$(wc -c < /tmp/gb)")
    for i in range(0, len(text), 76):
        con.type(text[i:i + 76])
    got = con.ask("EOF", "helper")
    return got is not None and got.get("helper") == str(len(raw))


def hexdump_events(hexstr, drop=(EV_MSC,)):
    return [e for e in events(hexstr) if e[0] not in drop]


def random_image(path, mb):
    with open(path, "wb") as f:
        for _ in range(mb):
            f.write(os.urandom(1 << 20))


# Waits for `n` USB devices (not root hubs, not interfaces) and /dev/sda.
WAIT = ("i=0; while [ $i -lt 500 ]; do n=$(ls /sys/bus/usb/devices | "
        "grep -c '^[0-9]*-[0-9.]*$'); [ $n -ge {n} ] && [ -b /dev/sda ] "
        "&& break; sleep 0.2; i=$((i+1)); done; echo ATOLL-USB found=$n")
# Each device as idVendor:idProduct:bInterfaceClass of its interface 0.
IDS = ("ids=; for d in /sys/bus/usb/devices/*-*; do [ -f $d/idVendor ] || "
       "continue; ids=$ids$(cat $d/idVendor):$(cat $d/idProduct):"
       "$(cat $d/${d##*/}:1.0/bInterfaceClass 2>/dev/null),; done; "
       "echo ATOLL-USB ids=$ids")
# The USB input devices: the tablet is the one with absolute axes.
FIND_INPUT = (
    "kbd=; tab=; for e in /sys/class/input/event*; do "
    "case $(readlink -f $e) in */usb*) "
    "if [ $(cat $e/device/capabilities/abs) != 0 ]; then "
    "tab=/dev/input/${e##*/}; else kbd=/dev/input/${e##*/}; fi;; esac; "
    "done; echo ATOLL-USB kbd=$kbd tab=$tab "
    "kbdpath=$(readlink -f /sys/class/input/${kbd##*/})")
# Readers of both (12 keyboard events: 2 keys down and up, each with
# MSC_SCAN, KEY, SYN), "ready" once both hold their device open; the
# keyboard reader ends after key b's release, sent after the tablet's
# events; a second more for the tablet's report, then it is stopped. One
# line: the shell must not wait for input while a child of its ends (see
# writer_cmd), so the killed readers are waited for before the echo (CI
# once saw the shell exit there, its line cut off by the tty hangup).
READ_INPUT = ("dd if=$kbd of=/tmp/k bs=24 count=12 2>/dev/null & k=$!; "
              "dd if=$tab of=/tmp/t bs=24 count=64 2>/dev/null & t=$!; "
              + OPENED.format(pids="$k $t") + "echo ATOLL-USB ready=1; "
              "i=0; while kill -0 $k 2>/dev/null && [ $i -lt 300 ]; do "
              "sleep 0.2; i=$((i+1)); done; sleep 1; kill $k $t 2>/dev/null; "
              "wait $k $t 2>/dev/null; "
              "echo ATOLL-USB keys=$(od -An -tx1 -v /tmp/k | tr -d ' \\n') "
              "tablet=$(od -An -tx1 -v /tmp/t | tr -d ' \\n')")
PATTERN_OFF, PATTERN_LEN = 37 * 4096, 65536
# The disk's USB device (by its idProduct): its speed in Mb/s, its sysfs
# name (bus-port: on the USB 3 root hub when SuperSpeed) and the largest
# request usb-storage lets the block layer make.
DISK_INFO = ("sp=; at=; for d in /sys/bus/usb/devices/*-*; do "
             "[ \"$(cat $d/idProduct 2>/dev/null)\" = {pid} ] && "
             "sp=$(cat $d/speed) && at=${d##*/}; done; "
             "echo ATOLL-USB speed=$sp at=$at "
             "maxkb=$(cat /sys/block/sda/queue/max_sectors_kb)")


def pattern(token):
    text = f"USB-PATTERN-{token}\n".encode()
    return (text * (PATTERN_LEN // len(text) + 1))[:PATTERN_LEN]


def write_pattern_cmd(token):
    return (f"yes USB-PATTERN-{token} | head -c {PATTERN_LEN} > /tmp/p; "
            f"dd if=/tmp/p of=/dev/sda bs=4096 seek={PATTERN_OFF // 4096} "
            "conv=fsync 2>/dev/null && sync && w=1 || w=0; "
            "echo 3 > /proc/sys/vm/drop_caches; "
            f"echo ATOLL-USB written=$w back=$(dd if=/dev/sda bs=4096 "
            f"skip={PATTERN_OFF // 4096} count={PATTERN_LEN // 4096} "
            "2>/dev/null | md5sum | cut -c1-32) "
            "want=$(md5sum < /tmp/p | cut -c1-32)")


def send_input(qmp, out):
    try:
        q = Qmp(qmp)
        q.execute("send-key", {"keys": [{"type": "qcode", "data": "a"}]})
        q.execute("input-send-event", {"events": [
            {"type": "abs", "data": {"axis": "x", "value": 100}},
            {"type": "abs", "data": {"axis": "y", "value": 200}},
            {"type": "btn", "data": {"button": "left", "down": True}}]})
        q.execute("send-key", {"keys": [{"type": "qcode", "data": "b"}]})
    except (RuntimeError, OSError) as e:
        out.append(f"QMP: {e}")


def check_devices(atoll, kit, tmp):
    img, yaml = os.path.join(tmp, "usb.img"), os.path.join(tmp, "d.yaml")
    qmp = os.path.join(tmp, "d.qmp")
    random_image(img, 8)
    md5_before = file_md5(img)
    token = secrets.token_hex(4)
    write_manifest(yaml, kit, SETUP, f"""  - name: usb0
    kind: usb
    restart: never
    ports:
      - {{type: keyboard, vendor: 0x{KBD_IDS[0]}, product: 0x{KBD_IDS[1]}}}
      - {{type: tablet}}
      - {{type: storage, image: usb.img,
         vendor: 0x{DISK_IDS[0]}, product: 0x{DISK_IDS[1]}}}
""", extra=f"qmp: {qmp}\n", shell=True)
    con = Console([atoll, "run", yaml])
    problems, v = [], {}
    try:
        if not con.sync():
            raise RuntimeError("no shell on the console")
        for line, key in ((WAIT.replace("{n}", "3"), "found"), (IDS, "ids"),
                          ("echo ATOLL-USB size=$(cat /sys/block/sda/size) "
                           "md5=$(md5sum /dev/sda | cut -c1-32)", "size"),
                          (DISK_INFO.replace("{pid}", DISK_IDS[1]), "speed"),
                          (write_pattern_cmd(token), "written"),
                          (FIND_INPUT, "kbd"), (READ_INPUT, "ready")):
            got = con.ask(line, key)
            if got is None:
                raise RuntimeError(f"the guest did not answer {key}=")
            v.update(got)
        send_input(qmp, problems)
        v.update(con.expect("keys") or {})
    except (RuntimeError, OSError) as e:
        problems.append(str(e))
    rc, _ = con.close()
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (poweroff)")
    if "keys" not in v:
        print(f"FAIL: {'; '.join(problems)} (the guest's answers: {v})")
        return 1
    ids = [i for i in v.get("ids", "").split(",") if i]
    kbd = f"{KBD_IDS[0]}:{KBD_IDS[1]}:03"
    disk = f"{DISK_IDS[0]}:{DISK_IDS[1]}:08"
    tablets = [i for i in ids if i.endswith(":03") and i != kbd]
    if kbd not in ids or disk not in ids or len(tablets) != 1:
        problems.append(f"USB devices {ids}, wanted {kbd}, {disk} and one "
                        "more HID device (the tablet)")
    # At high speed usb-storage caps requests at 120 KiB; at SuperSpeed
    # at 1 MiB.
    if v.get("speed") != "5000" or not v.get("maxkb", "").isdigit() or \
            int(v["maxkb"]) <= 120:
        problems.append(f"the disk {v.get('at')}: speed {v.get('speed')}, "
                        f"max_sectors_kb {v.get('maxkb')}; wanted 5000 "
                        "(SuperSpeed) and more than 120")
    size = 8 << 20
    if v.get("size") != str(size // 512) or v.get("md5") != md5_before:
        problems.append(f"/dev/sda: {v.get('size')} sectors, md5 "
                        f"{v.get('md5')}; the image: {size // 512}, "
                        f"{md5_before}")
    if v.get("written") != "1" or v.get("back") != v.get("want"):
        problems.append(f"the guest's write: written={v.get('written')}, "
                        f"read back md5 {v.get('back')}, wrote "
                        f"{v.get('want')}")
    with open(img, "rb") as f:
        f.seek(PATTERN_OFF)
        in_image = f.read(PATTERN_LEN)
    if in_image != pattern(token):
        problems.append(f"the image at {PATTERN_OFF} does not hold the "
                        f"guest's pattern (starts {in_image[:24]!r})")
    if f"/0003:{KBD_IDS[0].upper()}:{KBD_IDS[1].upper()}." not in \
            v.get("kbdpath", ""):
        problems.append(f"the keyboard's event device {v.get('kbd')!r} is "
                        f"not under HID device 0003:{KBD_IDS[0]}:"
                        f"{KBD_IDS[1]} ({v.get('kbdpath')})")
    keys = hexdump_events(v.get("keys", ""))
    want_keys = [(EV_KEY, KEY_A, 1), (EV_SYN, 0, 0), (EV_KEY, KEY_A, 0),
                 (EV_SYN, 0, 0), (EV_KEY, KEY_B, 1), (EV_SYN, 0, 0),
                 (EV_KEY, KEY_B, 0), (EV_SYN, 0, 0)]
    if keys != want_keys:
        problems.append(f"the keyboard's events are {keys}, wanted "
                        f"{want_keys}")
    tab = hexdump_events(v.get("tablet", ""))
    want_tab = {(EV_ABS, 0, 100), (EV_ABS, 1, 200), (EV_KEY, BTN_LEFT, 1)}
    if set(tab[:-1]) != want_tab or len(tab) != 4 or tab[-1] != (0, 0, 0):
        problems.append(f"the tablet's events are {tab}, wanted "
                        f"{sorted(want_tab)} in any order, then EV_SYN")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: USB devices {ids}; the disk {v.get('at')} at "
          f"{v.get('speed')} Mb/s, max_sectors_kb {v.get('maxkb')}; "
          f"/dev/sda md5 = the image's "
          f"({md5_before}); the guest's 64 KiB write read back and is in "
          f"the image; send-key a, b reached {v.get('kbd')} as {keys}; "
          f"input-send-event reached {v.get('tab')} as {tab}")
    return 0


def file_md5(path):
    h = hashlib.md5()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# --- redir ------------------------------------------------------------------

REDIR_IDS = ("5a5a", "0042")
REDIR_LEN = 65536
# The peer's device: waits for it, then its descriptors as the guest's
# sysfs shows them (spaces as '_') and its usbfs node.
FIND_REDIR = (
    "i=0; dev=; while [ $i -lt 500 ]; do for d in /sys/bus/usb/devices/*; "
    "do [ \"$(cat $d/idVendor 2>/dev/null):$(cat $d/idProduct "
    "2>/dev/null)\" = {vp} ] && dev=$d; done; [ -n \"$dev\" ] && break; "
    "sleep 0.2; i=$((i+1)); done; f=$dev/${dev##*/}:1.0; "
    "echo ATOLL-USB redir=${dev##*/} speed=$(cat $dev/speed) "
    "mfr=$(cat $dev/manufacturer | tr ' ' _) "
    "prod=$(cat $dev/product | tr ' ' _) serial=$(cat $dev/serial) "
    "class=$(cat $f/bInterfaceClass) neps=$(cat $f/bNumEndpoints) "
    "eps=$(ls -d $f/ep_* | sed 's/.*ep_//' | tr '\\n' ,) "
    "node=/dev/bus/usb/$(printf %03d $(cat $dev/busnum))/"
    "$(printf %03d $(cat $dev/devnum))")


def peer_pattern(n):
    """redir_peer_pattern() of tests/usb/redir-peer.h for bytes 0..n-1."""
    return bytes((i * 7 + 3 + (i >> 8)) & 0xff for i in range(n))


def fnv1a(data):
    h = 2166136261
    for b in data:
        h = ((h ^ b) * 16777619) & 0xffffffff
    return h


def check_redir(atoll, kit, tmp):
    """The guest has no driver for the peer's vendor-class device and
    busybox no USB tool: guest-bulk (built here for riscv64, typed on the
    console) does the bulk transfers through usbfs."""
    from guest_boot import SKIP
    peer = os.environ.get("ATOLL_USBREDIR_PEER", "")
    if not os.access(peer, os.X_OK):
        print(f"SKIP: the usbredir peer is not built "
              f"($ATOLL_USBREDIR_PEER={peer!r})")
        return SKIP
    helper, why = build_helper(tmp)
    if not helper:
        print(f"SKIP: {why}")
        return SKIP
    sock = os.path.join(tmp, "redir.sock")
    yaml = os.path.join(tmp, "r.yaml")
    pp = subprocess.Popen([peer, f"--listen={sock}",
                           f"--vendor={REDIR_IDS[0]}",
                           f"--product={REDIR_IDS[1]}",
                           f"--pattern={REDIR_LEN}"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peer_out = []
    threading.Thread(target=lambda: peer_out.extend(
        l.decode(errors="replace").rstrip() for l in pp.stdout),
        daemon=True).start()
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    write_manifest(yaml, kit, SETUP, """  - name: usb0
    kind: usb
    restart: never
    ports:
      - {type: redir, socket: redir.sock}
""", shell=True)
    con = Console([atoll, "run", yaml])
    problems, v, bulk = [], {}, {}
    try:
        if not con.sync():
            raise RuntimeError("no shell on the console")
        v = con.ask(FIND_REDIR.replace("{vp}", ":".join(REDIR_IDS)),
                    "redir") or {}
        if not v.get("redir"):
            raise RuntimeError("the guest never saw the peer's device")
        if not install_helper(con, helper):
            raise RuntimeError("could not type guest-bulk into the guest")
        for d, ep in (("in", 129), ("out", 2)):
            start = con.mark()
            con.ask(f"/tmp/gb {v.get('node')} {d} {ep} {REDIR_LEN}; "
                    f"echo ATOLL-USB bulk{d}=$?", f"bulk{d}")
            for line in con.lines[start:con.mark()]:
                if line and "ATOLL-BULK " in line:
                    bulk[d] = dict(kv.split("=", 1) for kv in line.split(
                        "ATOLL-BULK ", 1)[1].split() if "=" in kv)
    except (RuntimeError, OSError) as e:
        problems.append(str(e))
    rc, _ = con.close()
    pp.terminate()
    try:
        pp.wait(10)
    except subprocess.TimeoutExpired:
        pp.kill()
        pp.wait()
    time.sleep(0.2)          # the reader thread takes the peer's last lines
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (poweroff)")
    # The peer's strings (redir-peer.c) and its interface: vendor class,
    # bulk OUT 0x02 and IN 0x81 among its endpoints, as many as it says.
    want = {"speed": "480", "mfr": "Atoll", "prod": "usbredir_test_peer",
            "serial": "ATOLL-REDIR-0001", "class": "ff"}
    bad = {k: v.get(k) for k in want if v.get(k) != want[k]}
    eps = [e for e in v.get("eps", "").split(",") if e]
    if v.get("redir") and bad:
        problems.append(f"descriptors in the guest {bad}, wanted "
                        f"{ {k: want[k] for k in bad} }")
    if v.get("redir") and ("02" not in eps or "81" not in eps or
                           v.get("neps") != f"{len(eps):02x}"):
        problems.append(f"the guest's endpoints {eps} (bNumEndpoints "
                        f"{v.get('neps')}), wanted 02 and 81 among them")
    pat = peer_pattern(REDIR_LEN)
    want_in = {"dir": "in", "n": str(REDIR_LEN), "sum": str(sum(pat)),
               "fnv": str(fnv1a(pat)), "head": pat[:8].hex()}
    if v.get("redir") and bulk.get("in") != want_in:
        problems.append(f"bulk IN in the guest {bulk.get('in')}, wanted "
                        f"{want_in}")
    if v.get("redir") and (bulk.get("out") or {}).get("n") != \
            str(REDIR_LEN):
        problems.append(f"bulk OUT in the guest {bulk.get('out')}, wanted "
                        f"{REDIR_LEN} bytes sent")
    # The peer's own count of what it sent (printed when it closes).
    said = f"pattern {REDIR_LEN} bytes sum {sum(pat)}"
    if v.get("redir") and not any(said in l for l in peer_out):
        problems.append(f"the peer did not report '{said}'")
    counts = [m.groups() for l in peer_out for m in
              [re.search(r"(\d+) bulk out, (\d+) bulk in", l)] if m]
    if v.get("redir") and (not counts or "0" in counts[-1]):
        problems.append(f"the peer saw bulk out, in: {counts}, wanted at "
                        "least one of each")
    if problems:
        print("# the peer said:\n" + "\n".join("#   " + l
                                               for l in peer_out[-20:]))
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: the usbredir peer's device ({':'.join(REDIR_IDS)}) "
          f"reached the guest as {v.get('redir')} with its descriptors "
          f"({want}, endpoints {eps}); guest-bulk read {REDIR_LEN} bytes "
          f"of its pattern on bulk IN 0x81 (FNV-1a {fnv1a(pat):#x}) and "
          f"wrote {REDIR_LEN} on bulk OUT 0x02 through usbfs")
    return 0


# --- crash (item 5) --------------------------------------------------------

BLOCK = 65536
NBLOCKS = 256
# Blocks the write after a restart tries (the guest's disk came back?).
AFTER = NBLOCKS - 4
# Crashes during the writes, each once 3 more blocks were acknowledged
# after the one before.
KILLS = int(os.environ.get("ATOLL_USB_KILLS", "3"))


def block(n, token):
    text = f"BLK{n}-{token}\n".encode()
    return (text * (BLOCK // len(text) + 1))[:BLOCK]


def writer_cmd(first, last, token, tag):
    """A background writer of blocks first..last-1 that stops at the first
    failure: "ack=N" once dd conv=fsync and sync both returned 0 for block
    N and /dev/sda was the disk before and after (once the disk is gone,
    dd would create a plain file /dev/sda and succeed). Not the shell's
    child but its grandchild: busybox ash with echo off takes a child's
    end while it waits for a line as the end of its input, and exits."""
    return (f"( (n={first}; while [ $n -lt {last} ]; do "
            f"yes BLK$n-{token} | head -c {BLOCK} > /tmp/b; "
            "if [ -b /dev/sda ] && dd if=/tmp/b of=/dev/sda "
            f"bs={BLOCK} seek=$n count=1 conv=fsync 2>/dev/null && sync "
            "&& [ -b /dev/sda ]; then echo ATOLL-USB ack=$n; "
            "else echo ATOLL-USB fail=$n; break; fi; n=$((n+1)); done; "
            f"echo ATOLL-USB {tag}=done) & ); echo ATOLL-USB {tag}=started")


DMESG = ("dmesg | grep -v 'Kernel command line' | tail -n 25 | "
         "sed 's/^/ATOLL-USB-DMESG /'; echo ATOLL-USB dmesg=1")


def restarted(q, name, old, timeout=30):
    """The pid of the process the launcher started after `old`, or None."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            d = q.device(name)
            if d and d.get("pid") and d["pid"] != old and \
                    d.get("state") == "running":
                return d["pid"]
        except RuntimeError:
            pass
        time.sleep(0.05)
    return None


def acks(con, start=0):
    with con.cond:
        lines = [l for l in con.lines[start:] if l]
    return sorted({int(m.group(1)) for l in lines
                   for m in [re.search(rf"{TAG} ack=(\d+)", l)] if m})


# The USB keyboard's events while the test sends key a (6: MSC_SCAN,
# KEY, SYN down and up), or what came within 10 s.
KEY_PROBE = (
    "kbd=; for e in /sys/class/input/event*; do "
    "case $(readlink -f $e) in */usb*) kbd=/dev/input/${e##*/};; esac; "
    "done; [ -n \"$kbd\" ] || { echo ATOLL-USB kready=none; false; } && "
    "{ dd if=$kbd of=/tmp/k bs=24 count=6 2>/dev/null & k=$!; "
    + OPENED.format(pids="$k") + "echo ATOLL-USB kready=$kbd; i=0; "
    "while kill -0 $k 2>/dev/null && [ $i -lt 50 ]; do sleep 0.2; "
    "i=$((i+1)); done; kill $k 2>/dev/null; wait $k 2>/dev/null; "
    "echo ATOLL-USB kkeys=$(od -An -tx1 -v /tmp/k | tr -d ' \\n'); }")


def key_after(con, qmp):
    """Whether QMP send-key a still reaches the guest's USB keyboard."""
    start = con.mark()
    ready = con.ask(KEY_PROBE, "kready", ALIVE_S)
    if not ready or ready.get("kready") == "none":
        return "no USB keyboard in the guest"
    try:
        Qmp(qmp).execute("send-key", {"keys": [{"type": "qcode",
                                                 "data": "a"}]})
    except (RuntimeError, OSError) as e:
        return f"send-key failed: {e}"
    got = con.expect("kkeys", ALIVE_S, start)
    keys = hexdump_events((got or {}).get("kkeys", ""))
    ok = keys == [(EV_KEY, KEY_A, 1), (EV_SYN, 0, 0), (EV_KEY, KEY_A, 0),
                  (EV_SYN, 0, 0)]
    return "key a arrived" if ok else f"key a did not arrive: {keys}"


def gone(con, what):
    if con.ended():
        return f"the VM ended before {what} answered (its output is above)"
    return f"the guest hung: {what} did not answer within {ALIVE_S} s"


def crash_boot(atoll, kit, tmp, writing):
    """One VM: atoll-usb crashes (inject-fault) while the guest writes, or
    is SIGKILLed while it is idle. Returns (problems, report)."""
    name = "writing" if writing else "idle"
    img = os.path.join(tmp, f"{name}.img")
    yaml, qmp = os.path.join(tmp, f"{name}.yaml"), \
        os.path.join(tmp, f"{name}.qmp")
    with open(img, "wb") as f:
        f.truncate(NBLOCKS * BLOCK)
    token = secrets.token_hex(4)
    # The idle VM has a keyboard too: does it still type after the kill?
    write_manifest(yaml, kit, SETUP, """  - name: usb0
    kind: usb
    restart: {policy: on-failure, max: 10, backoff-ms: 50}
    ports:
      - {type: storage, image: %s}
""" % os.path.basename(img) + ("" if writing else
                               "      - {type: keyboard}\n"),
                   extra=f"qmp: {qmp}\n", shell=True)
    con = Console([atoll, "run", yaml])
    problems, r = [], {"pids": []}
    try:
        if not con.sync() or not con.ask(WAIT.replace("{n}", "1"), "found"):
            raise RuntimeError("no shell, or no /dev/sda")
        q = Qmp(qmp)
        r["pids"].append(q.device("usb0")["pid"])
        # Acknowledged writes before each kill, in both cases.
        start = con.mark()
        con.ask(writer_cmd(0, 3 if not writing else AFTER, token, "writer"),
                "writer")
        r["alive"], kills = [], []
        since = start
        for k in range(KILLS if writing else 1):
            end = time.monotonic() + STEP_S
            while len(acks(con, since)) < 3 and \
                    time.monotonic() < end and \
                    con.wait(rf"{TAG} writer=done", 0, start)[0] is None:
                time.sleep(0.05)
            r.setdefault("acked-before", len(acks(con, start)))
            if not writing:
                con.wait(rf"{TAG} writer=done", STEP_S, start)
                time.sleep(1)
            since, at = con.mark(), time.monotonic()
            kills.append((since, at))
            if not writing:
                os.kill(r["pids"][-1], signal.SIGKILL)
            else:
                q.execute("inject-fault", {"id": "usb0", "kind": "crash"})
            r["pids"].append(restarted(q, "usb0", r["pids"][-1]))
            alive = con.ask("echo ATOLL-USB alive=$(cut -d' ' -f1 "
                            "/proc/uptime)", "alive", ALIVE_S)
            if alive is None:
                raise RuntimeError(gone(con, "the console after the kill"))
            r["alive"].append(time.monotonic() - at)
        # The writer stops at its first failure (or is stuck in I/O).
        i, _ = con.wait(rf"{TAG} writer=done", STEP_S, start)
        r["writer"] = "done" if i is not None else "stuck"
        # Does the disk work after the restart? (It may take Linux's
        # SCSI timeout, 30 s, and its error handling to tell.)
        start = con.mark()
        con.ask(writer_cmd(AFTER, NBLOCKS, token, "after"), "after")
        i, _ = con.wait(rf"{TAG} after=done", STEP_S, start)
        got = acks(con, start)
        r["after"] = ("stuck" if i is None else
                      f"{len(got)} of {NBLOCKS - AFTER} blocks acknowledged")
        if not writing:
            r["keyboard"] = key_after(con, qmp)
        # The guest's next ack line after each kill (host time).
        r["first-ack"] = []
        for line, at in kills:
            i, _ = con.wait(rf"{TAG} ack=", 0, line)
            r["first-ack"].append(None if i is None else con.times[i] - at)
        start = con.mark()
        if con.ask(DMESG, "dmesg", ALIVE_S) is None:
            raise RuntimeError(gone(con, "dmesg"))
        r["dmesg"] = [l.split(TAG + "-DMESG ", 1)[1] for l in
                      con.lines[start:con.mark()]
                      if l and TAG + "-DMESG " in l]
        r["restarts"] = (q.device("usb0") or {}).get("restarts")
    except (RuntimeError, OSError, TypeError, KeyError) as e:
        problems.append(f"{name}: {e}")
    rc, _ = con.close()
    acked = acks(con)
    with open(img, "rb") as f:
        data = f.read()
    lost = [n for n in acked
            if data[n * BLOCK:(n + 1) * BLOCK] != block(n, token)]
    r["acked"] = len(acked)
    if rc != 0:
        problems.append(f"{name}: exit status {rc}, wanted 0 (poweroff)")
    if len(r["pids"]) != (KILLS if writing else 1) + 1 or None in r["pids"]:
        problems.append(f"{name}: the launcher did not restart atoll-usb "
                        f"(pids {r['pids']})")
    if r.get("acked-before", 0) < 3:
        problems.append(f"{name}: the guest wrote {r.get('acked-before')} "
                        "blocks before the kill, wanted 3")
    if lost:
        problems.append(f"{name}: acknowledged blocks not in the image: "
                        f"{lost}")
    return problems, r


def check_crash(atoll, kit, tmp):
    problems, reports = [], {}
    for writing in (True, False):
        p, reports[writing] = crash_boot(atoll, kit, tmp, writing)
        problems += p
    for writing, how in ((True, f"{KILLS} x inject-fault crash while the "
                          "guest writes"), (False, "SIGKILL while it is "
                                            "idle")):
        r = reports[writing]
        print(f"# {how}: atoll-usb pids {r['pids']}; after each kill the "
              f"console answered in {fmt_s(r.get('alive'))} and the next "
              f"ack line reached the host in {fmt_s(r.get('first-ack'))}; "
              f"the guest's writer: {r.get('writer')}; a write after the "
              f"last restart: {r.get('after')}; "
              + (f"the keyboard after it: {r.get('keyboard')}; "
                 if not writing else "") +
              f"acknowledged blocks "
              f"{r.get('acked')}, "
              "all checked in the image; the guest's dmesg tail:")
        for l in r.get("dmesg", []):
            print(f"#   {l}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS: atoll-usb crashed while the guest wrote, and was "
          "SIGKILLed while it was idle; the launcher restarted it, the "
          "guest's console answered, every acknowledged 64 KiB block is in "
          "the image (what the guest saw is above)")
    return 0


def fmt_s(x):
    if isinstance(x, list):
        return ", ".join(fmt_s(i) for i in x) or "-"
    return "never" if x is None else f"{x:.2f} s"


if __name__ == "__main__":
    sys.exit(guest_main(__doc__, "atoll-usb-", {
        "devices": check_devices, "redir": check_redir,
        "crash": check_crash}))
