#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A Linux guest writes and reads a disk served by a vhost-user back-end
nobody here wrote: qemu-storage-daemon exports a raw image as
vhost-user-blk on a unix socket, and `atoll run` bridges it to the guest
with a `vhost-user` device (atoll-vhost-user).

  guest_vhost_user.py rw ATOLL ATOLL_VHOST_USER
      the guest writes a known pattern to /dev/vda, drops its caches and
      reads it back: its sha256 equals the host's computation of the
      pattern; after poweroff the host checks the image file's sha256
  guest_vhost_user.py reconnect ATOLL ATOLL_VHOST_USER
      qemu-storage-daemon is restarted while the guest is writing; the
      bridge exits, the launcher reconnects to the socket and restarts it
      (restart: on-failure), atoll-cpu replays the queues: the guest's
      writes all reach the image and no I/O error is seen

Skips (77) with the reason without qemu-storage-daemon (Debian
qemu-system-common), the guest kit, OpenSBI or user namespaces.
"""
import hashlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "guest-blk"))
from guest_blk import (SKIP, guest_main, run, values,  # noqa: E402
                       write_manifest, file_sha256)

QSD = os.environ.get("QEMU_STORAGE_DAEMON", "/usr/bin/qemu-storage-daemon")
DISK_MB = 8
LINES = 4096            # pattern: LINES lines of 26 bytes = 208 sectors
TAG = "ATOLL-VU"


def pattern(seed):
    return b"".join(b"atoll-vhost-user %01d%07d\n" % (seed, i)
                    for i in range(LINES))


# w SEED BLOCK: writes pattern(SEED) to /dev/vda at 4 KiB block BLOCK,
# reads it back past the page cache, prints both sums. A function, so
# that several rounds fit the kernel's command line; no double quotes
# (init ends atoll.run="..." at the next one).
GUEST_W = ("w(){ i=0; while [ $i -lt %d ]; do "
           "printf 'atoll-vhost-user %%s%%07d\\n' $1 $i; i=$((i+1)); "
           "done >/tmp/p; "
           "dd if=/tmp/p of=/dev/vda bs=4096 seek=$2 conv=fsync 2>/dev/null; "
           "echo %s ddrc$1=$?; echo 3 >/proc/sys/vm/drop_caches; "
           "echo %s want$1=$(sha256sum </tmp/p | cut -c1-64) "
           "got$1=$(dd if=/dev/vda bs=4096 skip=$2 count=%d 2>/dev/null "
           "| sha256sum | cut -c1-64); }; " % (LINES, TAG, TAG,
                                                LINES * 26 // 4096))


class Daemon:
    """qemu-storage-daemon exporting `image` as vhost-user-blk on `sock`."""

    def __init__(self, image, sock):
        self.image, self.sock, self.p = image, sock, None

    def start(self):
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        self.p = subprocess.Popen(
            [QSD, "--blockdev",
             f"driver=file,node-name=disk0,filename={self.image}",
             "--export",
             "type=vhost-user-blk,id=exp0,node-name=disk0,writable=on,"
             f"addr.type=unix,addr.path={self.sock}"],
            stdin=subprocess.DEVNULL)
        # A bound on start-up, not a timed check.
        for _ in range(200):
            if os.path.exists(self.sock):
                return
            time.sleep(0.05)
        raise RuntimeError(f"qemu-storage-daemon never made {self.sock}")

    def stop(self):
        if self.p:
            self.p.send_signal(signal.SIGTERM)
            self.p.wait()
            self.p = None


def manifest(path, kit, cmd, restart="never"):
    write_manifest(path, kit, cmd, f"""  - name: vdisk
    kind: vhost-user
    socket: vu.sock
    device: blk
    restart: {restart}
""")


def expected_image(parts):
    """sha256 of the whole image: the patterns at their offsets, zeros
    elsewhere."""
    img = bytearray(DISK_MB << 20)
    for off, data in parts:
        img[off:off + len(data)] = data
    return hashlib.sha256(bytes(img)).hexdigest()


def setup(tmp):
    image = os.path.join(tmp, "disk.img")
    with open(image, "wb") as f:
        f.truncate(DISK_MB << 20)
    d = Daemon(image, os.path.join(tmp, "vu.sock"))
    d.start()
    return image, d


def check_rw(atoll, kit, tmp):
    image, d = setup(tmp)
    yaml = os.path.join(tmp, "rw.yaml")
    manifest(yaml, kit, GUEST_W +
             f"echo {TAG} size=$(cat /sys/block/vda/size); w 1 0")
    try:
        rc, lines = run([atoll, "run", yaml])
    finally:
        d.stop()
    v = values(lines, TAG)
    want = hashlib.sha256(pattern(1)).hexdigest()
    problems = []
    if rc != 0:
        problems.append(f"atoll run: exit status {rc}, wanted 0")
    if v.get("size") != str((DISK_MB << 20) // 512):
        problems.append(f"/sys/block/vda/size {v.get('size')!r}, wanted "
                        f"{(DISK_MB << 20) // 512}")
    if v.get("ddrc1") != "0":
        problems.append(f"the guest's write failed (dd status "
                        f"{v.get('ddrc1')!r})")
    if v.get("want1") != want:
        problems.append(f"the guest made other bytes ({v.get('want1')}) "
                        f"than the host's pattern ({want})")
    if v.get("got1") != want:
        problems.append(f"the guest read back {v.get('got1')}, wanted {want}")
    host = file_sha256(image)
    if host != expected_image([(0, pattern(1))]):
        problems.append(f"the image's sha256 {host} is not that of the "
                        "pattern followed by zeros")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: through qemu-storage-daemon's vhost-user-blk export the "
          f"guest wrote and read back {len(pattern(1))} bytes (sha256 "
          f"{want[:16]}...); the image's sha256 is the expected one")
    return 0


def check_reconnect(atoll, kit, tmp):
    image, d = setup(tmp)
    yaml = os.path.join(tmp, "reconnect.yaml")
    # Three rounds at three offsets; the daemon restarts during round 2.
    rounds = [(s, (s - 1) * (1 << 20)) for s in (1, 2, 3)]
    cmd = GUEST_W + "".join(f"echo {TAG} round={s}; w {s} {off // 4096}; "
                            for s, off in rounds)
    cmd += (f"echo {TAG} ioerr=$(dmesg | grep -v 'command line' | "
            "grep -c -i 'i/o error')")
    manifest(yaml, kit, cmd, restart="on-failure")
    restarted = threading.Event()

    def on_line(line):
        if line.startswith(f"{TAG} round=2") and not restarted.is_set():
            restarted.set()
            d.stop()
            d.start()

    try:
        rc, lines = run([atoll, "run", yaml], on_line=on_line)
    finally:
        d.stop()
    v = values(lines, TAG)
    problems = []
    if rc != 0:
        problems.append(f"atoll run: exit status {rc}, wanted 0")
    if not restarted.is_set():
        problems.append("the guest never reached round 2")
    for s, _ in rounds:
        want = hashlib.sha256(pattern(s)).hexdigest()
        if v.get(f"ddrc{s}") != "0" or v.get(f"got{s}") != want:
            problems.append(f"round {s}: dd status {v.get(f'ddrc{s}')!r}, "
                            f"read back {v.get(f'got{s}')}, wanted {want}")
    if v.get("ioerr") != "0":
        problems.append(f"{v.get('ioerr')} I/O errors in the guest's log")
    reconnects = sum("back-end connection lost" in l for l in lines)
    if reconnects < 1:
        problems.append("the bridge never saw the back-end go")
    host = file_sha256(image)
    if host != expected_image([(off, pattern(s)) for s, off in rounds]):
        problems.append(f"the image's sha256 {host} is not the expected one")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS: qemu-storage-daemon restarted under the guest's I/O; the "
          "launcher reconnected the bridge, all three rounds read back and "
          "reached the image, no I/O error")
    return 0


def main():
    if not os.access(QSD, os.X_OK):
        print(f"SKIP: {QSD} not installed (Debian qemu-system-common)")
        return SKIP
    return guest_main(__doc__, "atoll-vu-", {
        "rw": check_rw, "reconnect": check_reconnect})


if __name__ == "__main__":
    sys.exit(main())
