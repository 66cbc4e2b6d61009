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
  guest_gpu.py dump ATOLL DEVICE
      The same pattern, then QMP screendump while the guest runs, as PNG
      and as PPM: both images, decoded here (zlib and struct), are the
      pattern's pixels exactly (XRGB8888 in the guest, 8-bit RGB in the
      file). A screendump naming a device that is not a display, head 1
      and format bmp are refused, and leave no file.
  guest_gpu.py crash ATOLL DEVICE
      The guest redraws the pattern once a second, ten times; the device
      is SIGKILLed after the first (restart: on-failure). The launcher
      restarts it, the guest never hangs: every write returns, the loop
      ends and the guest powers off. What the guest sees is printed: the
      new process knows none of the driver's resources, so the driver's
      transfers and flushes get errors (its dmesg lines), and the screen
      stays blank (screendump refused) until the guest sets a mode again.

  guest_gpu.py vnc ATOLL DEVICE
      display: vnc on 127.0.0.1 with a password: gvnccapture (Debian's
      gvncviewer, a client nobody here wrote) captures exactly the
      guest's pattern; atoll-display is then SIGKILLed, the launcher
      restarts it on the same socket, and a new capture shows the same
      pixels; a wrong password gets no image. Skips without gvnccapture.
  guest_gpu.py bench ATOLL DEVICE         (suite bench: prints figures)
      The same pattern drawn, then QMP screendump (PNG and PPM, 10 of
      each) timed from the command to its reply, against QEMU 7.2
      (-device virtio-gpu-pci, same kernel and initrd) in the same run;
      then frame updates per second to a VNC client (raw encoding, a
      client in the test) while the guest redraws the whole screen with
      two patterns in turn for 20 s, against QEMU's -vnc. Only the
      figures are printed.

Skips (77) with a reason when a binary, the guest kit, OpenSBI or user
namespaces are missing.
"""
import os
import re
import struct
import sys
import threading
import time
import zlib

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "guest"))
sys.path.insert(0, os.path.join(here, "..", "guest-blk"))
from guest_blk import (Qmp, guest_main, kill_device, run,  # noqa: E402
                       values, write_manifest)

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


DRAW = (
    "for v in /sys/class/vtconsole/vtcon*; do grep -q frame $v/name && "
    "echo 0 > $v/bind; done; "
    f"yes 0123456789abcdef | head -c {FB_BYTES} > /tmp/p; "
    "dd if=/tmp/p of=/dev/fb0 bs=65536 2>/dev/null && "
    "sleep 1 && echo ATOLL-GPU drawn=1; sleep 600")


def expected_rgb():
    """The pattern as the guest's XRGB8888 (bytes B, G, R, X) shows it."""
    p = pattern()
    out = bytearray(WIDTH * HEIGHT * 3)
    out[0::3] = p[2::4]
    out[1::3] = p[1::4]
    out[2::3] = p[0::4]
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def decode_png(data):
    """(width, height, RGB bytes) of an 8-bit RGB, non-interlaced PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    at, idat, ihdr = 8, b"", None
    while at < len(data):
        n, kind = struct.unpack(">I4s", data[at:at + 8])
        body = data[at + 8:at + 8 + n]
        if zlib.crc32(kind + body) != struct.unpack(
                ">I", data[at + 8 + n:at + 12 + n])[0]:
            raise ValueError(f"bad CRC in {kind!r}")
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        at += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError(f"PNG depth {depth} type {ctype} interlace "
                         f"{interlace}, wanted 8-bit RGB or RGBA")
    bpp = 3 if ctype == 2 else 4
    raw, stride = zlib.decompress(idat), w * bpp
    out, prev = bytearray(), bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        row = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = row[i - bpp] if i >= bpp else 0
            c = prev[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + (0, a, prev[i], (a + prev[i]) // 2,
                                paeth(a, prev[i], c))[f]) & 0xff
        out += row if bpp == 3 else bytes(
            b for i, b in enumerate(row) if i % 4 != 3)
        prev = row
    return w, h, bytes(out)


def decode_ppm(data):
    m = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    if not m:
        raise ValueError("not a binary 8-bit PPM")
    return int(m.group(1)), int(m.group(2)), data[m.end():]


def dump_and_quit(qmp, tmp, drawn, out):
    """After the guest drew: the two dumps, the refusals, then quit."""
    if not drawn.wait(600):
        return
    q = Qmp(qmp)
    for fmt in ("png", "ppm"):
        path = os.path.join(tmp, "screen." + fmt)
        try:
            q.execute("screendump", {"filename": path, "format": fmt})
            out[fmt] = open(path, "rb").read()
        except (RuntimeError, OSError) as e:
            out[fmt + "-error"] = str(e)
    for name, args in (("notdisplay", {"device": "cpu"}),
                       ("head", {"head": 1}), ("format", {"format": "bmp"})):
        path = os.path.join(tmp, "bad-" + name)
        try:
            q.execute("screendump", dict(args, filename=path))
            out["accepted-" + name] = True
        except RuntimeError:
            pass
        if os.path.exists(path):
            out["left-" + name] = True
    q.execute("quit")


def check_dump(atoll, kit, tmp):
    yaml, qmp = os.path.join(tmp, "d.yaml"), os.path.join(tmp, "d.qmp")
    write_manifest(yaml, kit, DRAW, "  - name: gpu0\n"
                   "    kind: virtio-gpu\n    restart: never\n",
                   extra=f"qmp: {qmp}\n")
    drawn, out = threading.Event(), {}
    th = threading.Thread(target=dump_and_quit, args=(qmp, tmp, drawn, out),
                          daemon=True)
    th.start()
    rc, lines = run([atoll, "run", yaml], on_line=lambda l: l.startswith(
        "ATOLL-GPU drawn=1") and drawn.set())
    drawn.set()
    th.join(60)
    want = expected_rgb()
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (quit)")
    for fmt, decode in (("png", decode_png), ("ppm", decode_ppm)):
        if fmt not in out:
            problems.append(f"no {fmt} dump: {out.get(fmt + '-error')}")
            continue
        try:
            w, h, rgb = decode(out[fmt])
        except (ValueError, zlib.error, TypeError) as e:
            problems.append(f"the {fmt} dump does not decode: {e}")
            continue
        if (w, h) != (WIDTH, HEIGHT):
            problems.append(f"the {fmt} dump is {w}x{h}")
        elif rgb != want:
            bad = next(i for i in range(len(want)) if rgb[i] != want[i])
            problems.append(f"the {fmt} dump differs from the pattern at "
                            f"pixel ({bad // 3 % WIDTH}, {bad // 3 // WIDTH})")
    for k in out:
        if k.startswith("accepted-") or k.startswith("left-"):
            problems.append(f"bad screendump {k}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: screendump PNG ({len(out['png'])} bytes) and PPM show "
          f"the guest's {WIDTH}x{HEIGHT} pattern exactly; a device that is "
          "no display, head 1 and format bmp refused, no file left")
    return 0


CRASH = (
    "for v in /sys/class/vtconsole/vtcon*; do grep -q frame $v/name && "
    "echo 0 > $v/bind; done; "
    f"yes 0123456789abcdef | head -c {FB_BYTES} > /tmp/p; "
    "echo ATOLL-GPU loop=start; i=0; while [ $i -lt 10 ]; do "
    "dd if=/tmp/p of=/dev/fb0 bs=65536 2>/dev/null || "
    "echo ATOLL-GPU ddfail=$i; sleep 1; i=$((i+1)); done; "
    "echo ATOLL-GPU loop=done; "
    "dmesg | grep -v 'command line' | grep -i 'virtio.gpu\\|drm' | "
    "sed 's/^/GUEST-SEES /' | tail -6")


def check_crash(atoll, kit, tmp):
    yaml, qmp = os.path.join(tmp, "c.yaml"), os.path.join(tmp, "c.qmp")
    write_manifest(yaml, kit, CRASH, "  - name: gpu0\n    kind: virtio-gpu\n"
                   "    restart: {policy: on-failure, max: 3, "
                   "backoff-ms: 50}\n", extra=f"qmp: {qmp}\n")
    started, killed, after = threading.Event(), [], {}

    def killer():
        if not started.wait(600):
            return
        after["restarts"] = kill_device(qmp, "gpu0", 1, 1.5, killed)
        # Once the new process serves: what a screendump gives now.
        time.sleep(2)
        try:
            Qmp(qmp).execute("screendump", {
                "filename": os.path.join(tmp, "after.png"), "format": "png"})
            after["dump"] = "written"
        except RuntimeError as e:
            after["dump"] = str(e)
    th = threading.Thread(target=killer, daemon=True)
    th.start()
    rc, lines = run([atoll, "run", yaml], on_line=lambda l: l.startswith(
        "ATOLL-GPU loop=start") and started.set())
    started.set()
    th.join(30)
    v = values(lines, "ATOLL-GPU")
    sees = [l[len("GUEST-SEES "):] for l in lines
            if l.startswith("GUEST-SEES ")]
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (poweroff)")
    if len(killed) != 1:
        problems.append(f"killed the device {len(killed)} times, wanted 1")
    if not after.get("restarts"):
        problems.append("the launcher did not restart the device")
    if v.get("loop") != "done":
        problems.append("the guest's drawing loop did not finish")
    if "ddfail" in v:
        problems.append(f"a write to /dev/fb0 failed (pass {v['ddfail']})")
    print("# what the guest sees after the kill:\n#   " +
          "\n#   ".join(sees or ["(no virtio_gpu or drm line in dmesg)"]))
    print(f"# screendump after the restart: {after.get('dump')}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS: atoll-virtio-gpu killed under a drawing guest and "
          f"restarted ({after['restarts']} restart); every write returned, "
          "the guest finished and powered off")
    return 0


DUMPS = 10


def time_dumps(qmp, tmp, drawn, out, quit_cmd="quit"):
    """Median and best screendump time of each format, then quit."""
    if not drawn.wait(600):
        return
    q = Qmp(qmp)
    for fmt in ("png", "ppm"):
        times = []
        for i in range(DUMPS):
            path = os.path.join(tmp, f"bench{i}.{fmt}")
            t = time.monotonic()
            try:
                q.execute("screendump", {"filename": path, "format": fmt})
            except RuntimeError as e:
                out[fmt + "-error"] = str(e)
                break
            times.append(time.monotonic() - t)
            os.unlink(path)
        if times:
            times.sort()
            out[fmt] = (times[len(times) // 2], times[0])
    q.execute(quit_cmd)


def bench_one(cmd, qmp, tmp):
    drawn, out = threading.Event(), {}
    th = threading.Thread(target=time_dumps, args=(qmp, tmp, drawn, out),
                          daemon=True)
    th.start()
    rc, _ = run(cmd, echo=False, on_line=lambda l: l.startswith(
        "ATOLL-GPU drawn=1") and drawn.set())
    drawn.set()
    th.join(120)
    return rc, out


REDRAW_S = 20
REDRAW = (
    "for v in /sys/class/vtconsole/vtcon*; do grep -q frame $v/name && "
    "echo 0 > $v/bind; done; "
    f"yes 0123456789abcdef | head -c {FB_BYTES} > /tmp/p; "
    f"yes fedcba9876543210 | head -c {FB_BYTES} > /tmp/q; "
    "echo ATOLL-GPU drawn=1; i=0; "
    f"while [ $i -lt {REDRAW_S * 100} ]; do "
    "dd if=/tmp/p of=/dev/fb0 bs=65536 2>/dev/null; "
    "dd if=/tmp/q of=/dev/fb0 bs=65536 2>/dev/null; i=$((i+1)); done")


def vnc_updates(port, seconds):
    """A raw-encoding RFB 3.8 client (no password): asks for incremental
    updates for `seconds`; returns (updates, changed pixels)."""
    import socket
    s = socket.create_connection(("127.0.0.1", port), timeout=30)

    def recv(n):
        b = bytearray()
        while len(b) < n:
            chunk = s.recv(min(n - len(b), 1 << 20))
            if not chunk:
                raise OSError("server closed")
            b += chunk
        return bytes(b)
    recv(12)
    s.sendall(b"RFB 003.008\n")
    recv(recv(1)[0])
    s.sendall(b"\x01")
    recv(4)
    s.sendall(b"\x01")
    w, h = struct.unpack(">HH", recv(4))
    recv(16)
    recv(struct.unpack(">I", recv(4))[0])
    s.sendall(struct.pack(">BBBBBBBBHHHBBBxxx", 0, 0, 0, 0, 32, 24, 0, 1,
                          255, 255, 255, 16, 8, 0))
    s.sendall(struct.pack(">BxHi", 2, 1, 0))          # raw only
    s.sendall(struct.pack(">BBHHHH", 3, 0, 0, 0, w, h))
    updates = pixels = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        kind = recv(1)[0]
        if kind == 0:
            n = struct.unpack(">xH", recv(3))[0]
            for _ in range(n):
                _, _, rw, rh, enc = struct.unpack(">HHHHi", recv(12))
                if enc == 0:
                    recv(rw * rh * 4)
                    pixels += rw * rh
            updates += 1
            s.sendall(struct.pack(">BBHHHH", 3, 1, 0, 0, w, h))
        elif kind == 1:
            _, n = struct.unpack(">xHH", recv(5))
            recv(n * 6)
        elif kind == 2:
            pass
        elif kind == 3:                       # ServerCutText
            recv(struct.unpack(">xxxI", recv(7))[0])
        else:
            raise OSError(f"server message {kind}")
    s.close()
    return updates, pixels


def vnc_bench_one(cmd, qmp, port):
    drawn, out = threading.Event(), {}

    def client():
        if not drawn.wait(600):
            return
        time.sleep(2)
        try:
            out["r"] = vnc_updates(port, 10)
        except OSError as e:
            out["error"] = str(e)
        try:
            Qmp(qmp).execute("quit")
        except (RuntimeError, OSError):
            pass
    th = threading.Thread(target=client, daemon=True)
    th.start()
    rc, _ = run(cmd, echo=False, on_line=lambda l: l.startswith(
        "ATOLL-GPU drawn=1") and drawn.set())
    drawn.set()
    th.join(60)
    return out


def bench_vnc(atoll, kit, tmp):
    port = 5900 + free_display()
    yaml, aqmp = os.path.join(tmp, "bv.yaml"), os.path.join(tmp, "av.qmp")
    write_manifest(yaml, kit, REDRAW, "  - name: gpu0\n"
                   "    kind: virtio-gpu\n    restart: never\n",
                   extra=f"qmp: {aqmp}\ndisplay:\n  type: vnc\n"
                   f"  listen: 127.0.0.1:{port}\n")
    a = vnc_bench_one([atoll, "run", yaml], aqmp, port)
    qqmp = os.path.join(tmp, "qv.qmp")
    qemu = ["qemu-system-riscv64", "-M", "virt", "-smp", "2", "-m", "256M",
            "-nographic", "-bios", "default",
            "-kernel", f"{kit}/Image", "-initrd", f"{kit}/initramfs.cpio.gz",
            "-append", f'console=ttyS0 quiet atoll.run="{REDRAW}"',
            "-device", "virtio-gpu-pci", "-vnc", f"127.0.0.1:{port - 5900}",
            "-qmp", f"unix:{qqmp},server=on,wait=off"]
    q = vnc_bench_one(qemu, qqmp, port)
    print("# VNC frame updates while the guest redraws all of /dev/fb0 "
          "with two patterns in turn; raw encoding, incremental requests, "
          "10 s")
    print(f"{'':30}{'updates/s':>12}{'Mpixel/s':>12}")
    for name, r in (("qemu 7.2 -vnc", q), ("atoll-display", a)):
        if "r" in r:
            u, p = r["r"]
            print(f"{name:30}{u / 10:>12.1f}{p / 10 / 1e6:>12.2f}")
        else:
            print(f"{name:30}{'n/a':>12}  {r.get('error')}")
    return 0 if "r" in a and "r" in q else 1


def bench(atoll, kit, tmp):
    import shutil
    if not shutil.which("qemu-system-riscv64"):
        print("SKIP: qemu-system-riscv64 not installed (qemu-system-misc)")
        return 77
    yaml, aqmp = os.path.join(tmp, "b.yaml"), os.path.join(tmp, "a.qmp")
    write_manifest(yaml, kit, DRAW, "  - name: gpu0\n"
                   "    kind: virtio-gpu\n    restart: never\n",
                   extra=f"qmp: {aqmp}\n")
    qqmp = os.path.join(tmp, "q.qmp")
    qemu = ["qemu-system-riscv64", "-M", "virt", "-smp", "2", "-m", "256M",
            "-nographic", "-bios", "default",
            "-kernel", f"{kit}/Image", "-initrd", f"{kit}/initramfs.cpio.gz",
            "-append", f'console=ttyS0 quiet atoll.run="{DRAW}"',
            "-device", "virtio-gpu-pci",
            "-qmp", f"unix:{qqmp},server=on,wait=off"]
    arc, a = bench_one([atoll, "run", yaml], aqmp, tmp)
    qrc, q = bench_one(qemu, qqmp, tmp)
    print(f"# QMP screendump of the guest's {WIDTH}x{HEIGHT} /dev/fb0 "
          f"pattern, command to reply, {DUMPS} each: median (best)")
    print(f"{'':30}{'PNG ms':>16}{'PPM ms':>16}")
    for name, r in (("qemu 7.2 virtio-gpu-pci", q),
                    ("atoll (atoll-virtio-gpu)", a)):
        cells = [f"{r[f][0] * 1e3:.1f} ({r[f][1] * 1e3:.1f})" if f in r
                 else "n/a" for f in ("png", "ppm")]
        print(f"{name:30}{cells[0]:>16}{cells[1]:>16}")
    ok = all(f in r for r in (a, q) for f in ("png", "ppm"))
    if not ok:
        print(f"# a run failed: atoll status {arc} {a}, qemu status {qrc} {q}")
    display = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(sys.argv[3]))), "display", "atoll-display")
    if os.access(display, os.X_OK):
        ok = bench_vnc(atoll, kit, tmp) == 0 and ok
    else:
        print(f"# no VNC figures: {display} is not built")
    return 0 if ok else 1


def free_display():
    """A VNC display number (port 5900 + N) nothing listens on now."""
    import socket
    for n in range(57, 99):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", 5900 + n))
            return n
        except OSError:
            continue
        finally:
            s.close()
    return None


def capture(disp, path, password):
    """gvnccapture 127.0.0.1:disp path. It reads the password from a
    terminal (echo off), so it runs under a pseudo-terminal that is given
    the password once it asks."""
    import pty
    import select
    import subprocess
    master, slave = pty.openpty()
    p = subprocess.Popen(["gvnccapture", "-q", f"127.0.0.1:{disp}", path],
                         stdin=slave, stdout=slave, stderr=slave,
                         start_new_session=True)
    os.close(slave)
    said, deadline = b"", time.monotonic() + 60
    try:
        while p.poll() is None and time.monotonic() < deadline:
            r, _, _ = select.select([master], [], [], 0.5)
            if not r:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            said += chunk
            if b"Password:" in chunk:
                # It turns echo off (flushing input) after the prompt.
                time.sleep(0.5)
                os.write(master, password.encode() + b"\n")
        p.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return "gvnccapture timed out"
    finally:
        os.close(master)
    said = said.decode("utf-8", "replace").replace("\r", "").strip()
    if p.returncode != 0 or not os.path.exists(path):
        return f"gvnccapture status {p.returncode}: {said}"
    return None


VNC_PASSWORD = "s3cret"


def vnc_session(qmp, tmp, disp, drawn, out):
    if not drawn.wait(600):
        return
    q = Qmp(qmp)
    time.sleep(0.5)     # the display polls the scanout every 15 ms
    out["first-error"] = capture(disp, os.path.join(tmp, "v1.png"),
                                 VNC_PASSWORD)
    out["wrong-error"] = capture(disp, os.path.join(tmp, "wrong.png"),
                                 "nope")
    out["restarts"] = kill_device(qmp, "display", 1, 0, out["killed"])
    time.sleep(0.5)
    out["second-error"] = capture(disp, os.path.join(tmp, "v2.png"),
                                  VNC_PASSWORD)
    q.execute("quit")


def check_vnc(atoll, kit, tmp):
    import shutil
    if not shutil.which("gvnccapture"):
        print("SKIP: gvnccapture not installed (apt-get install gvncviewer)")
        return 77
    display = os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(sys.argv[3]))), "display", "atoll-display")
    if not os.access(display, os.X_OK):
        print(f"SKIP: {display} is not built (libvncserver-dev, "
              "libgcrypt20-dev)")
        return 77
    disp = free_display()
    yaml, qmp = os.path.join(tmp, "v.yaml"), os.path.join(tmp, "v.qmp")
    write_manifest(yaml, kit, DRAW, "  - name: gpu0\n"
                   "    kind: virtio-gpu\n    restart: never\n",
                   extra=f"qmp: {qmp}\ndisplay:\n  type: vnc\n"
                   f"  listen: 127.0.0.1:{5900 + disp}\n"
                   f"  password: {VNC_PASSWORD}\n")
    drawn, out = threading.Event(), {"killed": []}
    th = threading.Thread(target=vnc_session,
                          args=(qmp, tmp, disp, drawn, out), daemon=True)
    th.start()
    rc, lines = run([atoll, "run", yaml], on_line=lambda l: l.startswith(
        "ATOLL-GPU drawn=1") and drawn.set())
    drawn.set()
    th.join(120)
    want = expected_rgb()
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (quit)")
    for name in ("first", "second"):
        err = out.get(name + "-error", "not run")
        if err:
            problems.append(f"{name} capture: {err}")
            continue
        w, h, rgb = decode_png(open(os.path.join(
            tmp, "v1.png" if name == "first" else "v2.png"), "rb").read())
        if (w, h) != (WIDTH, HEIGHT):
            problems.append(f"{name} capture is {w}x{h}")
        elif rgb != want:
            bad = next(i for i in range(len(want)) if rgb[i] != want[i])
            at = bad - bad % 3
            problems.append(f"{name} capture differs from the pattern at "
                            f"pixel ({bad // 3 % WIDTH}, {bad // 3 // WIDTH}):"
                            f" {rgb[at:at + 3].hex()}, wanted "
                            f"{want[at:at + 3].hex()}")
    if out.get("wrong-error") is None and "wrong-error" in out:
        problems.append("a wrong password got an image")
    if len(out["killed"]) != 1 or not out.get("restarts"):
        problems.append(f"display killed {len(out['killed'])} times, "
                        f"restarts {out.get('restarts')}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: gvnccapture over VNC (password) shows the guest's "
          f"{WIDTH}x{HEIGHT} pattern exactly, before and after atoll-display "
          "was killed and restarted; a wrong password got nothing")
    return 0


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
    sys.exit(guest_main(__doc__, "atoll-gpu-", {"fb": check_fb,
                                               "dump": check_dump,
                                               "crash": check_crash,
                                               "vnc": check_vnc,
                                               "bench": bench}))
