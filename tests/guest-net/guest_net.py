#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Linux guest tests of virtio-net with the slirp backend, run with the
real launcher (`atoll run`, sandbox on): atoll-mem, atoll-cpu (riscv-virt,
2 harts) and atoll-virtio-net as separate processes. The host side is
only ever 127.0.0.1: the guest reaches it as 10.0.2.2 through slirp.

  guest_net.py tcp ATOLL ATOLL_NET      eth0 up, a DHCP lease from slirp
                                        (10.0.2.15), carrier,
                                        MAC, MTU; then a 1 MiB download
                                        from a host server, a 512 KiB
                                        upload to one, and the same 512 KiB
                                        read by the host from a guest
                                        listener through a manifest
                                        `hostfwd` rule; sha256 checked on
                                        both ends
  guest_net.py restrict ATOLL ATOLL_NET the manifest's `restrict: true`:
                                        the guest's connection to the
                                        host's server at 10.0.2.2 is
                                        refused and never reaches it, while
                                        the host reads 64 KiB from a guest
                                        listener through `hostfwd`
  guest_net.py restart ATOLL ATOLL_NET  downloads and uploads in a loop (until the
                                        host's server says STOP) while the
                                        device is SIGKILLed twice (via its
                                        QMP pid); the launcher restarts
                                        it, and a new connection afterwards
                                        must work, with no driver error
  guest_net.py survive ATOLL ATOLL_NET  one TCP download and one upload at
                                        once, held open by the host's
                                        paced servers while the device is
                                        SIGKILLed $ATOLL_NET_SURVIVE_KILLS
                                        times (default 4), then replaced
                                        ($ATOLL_NET_SURVIVE_REPLACES,
                                        default 2, QMP device-replace
                                        with the same program): the
                                        guest's connections live in
                                        atoll-net-slirp, so both complete
                                        with equal sha256 and no reset
  guest_net.py bench ATOLL ATOLL_NET    in-guest TCP download and upload
                                        rates, atoll beside
                                        qemu-system-riscv64 -netdev user
                                        with the same kernel and initrd

The guest kit comes from $ATOLL_GUEST_DIR, else the build cache's
'current' pointer. Without it, without a binary, or (bench) without QEMU,
the test is skipped with exit status 77 and a reason. Any seccomp kill
in the launcher's log fails the test.
"""
import hashlib
import os
import shutil
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "guest"))
sys.path.insert(0, os.path.join(HERE, "..", "guest-blk"))
from guest_boot import SKIP  # noqa: E402
from guest_blk import (Qmp, guest_main, kill_device, run,  # noqa: E402
                       values, write_manifest)

TIMEOUT = int(os.environ.get("ATOLL_GUEST_TIMEOUT", "300"))
HARTS = 2
DOWN_BYTES = 1 << 20
UP_KB = 512
TAG = "ATOLL-NET"

# The guest commands travel on the kernel command line, which riscv caps
# at COMMAND_LINE_SIZE (1024 bytes); the restart test's is about 950, so
# keep them terse.
#
# eth0 from a DHCP lease (udhcpc needs AF_PACKET: CONFIG_PACKET in
# scripts/guest/kernel.config). -s /bin/true: configure it ourselves from
# the lease line, so the test sees which address slirp handed out.
NET_UP = ("ip link set eth0 up; "
          "l=$(udhcpc -i eth0 -nq -t5 -s /bin/true 2>&1 | "
          "sed -n 's/.*lease of \\([0-9.]*\\) obt.*/\\1/p'); "
          f"echo {TAG} lease=$l; "
          "ip addr add ${l:-10.0.2.15}/24 dev eth0; "
          "ip route add default via 10.0.2.2; "
          "cd /sys/class/net/eth0; "
          f"echo {TAG} carrier=$(cat carrier) mac=$(cat address) "
          "mtu=$(cat mtu); cd /; ")

# Errors the virtio-net driver or the stack would log on a broken device.
DRV_ERRORS = (f"echo {TAG} drverr=$(dmesg | grep -v 'command line' | "
              "grep -c -i -e virtio_net -e 'rx error' -e 'timed out' -e 'not a head')")


# What a download server sends once told to stop a guest's loop.
STOP = b"stop"


def pattern(n):
    """The download payload: deterministic, not compressible-looking."""
    h, out = hashlib.sha256(b"atoll"), bytearray()
    while len(out) < n:
        h = hashlib.sha256(h.digest())
        out += h.digest()
    return bytes(out[:n])


class Servers:
    """Two TCP servers on 127.0.0.1: `down` sends the payload to every
    connection and closes; `up` reads one upload until EOF (or its
    announced size) and records its length and sha256."""

    def __init__(self, down_bytes):
        self.data = pattern(down_bytes)
        self.uploads = []
        self.downs = 0
        self.stop = False        # send STOP instead: ends a guest loop
        self.down = self._listen(self._serve_down)
        self.up = self._listen(self._serve_up)

    def _listen(self, fn):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        threading.Thread(target=self._accept, args=(s, fn), daemon=True).start()
        return s.getsockname()[1]

    def _accept(self, s, fn):
        while True:
            c, _ = s.accept()
            threading.Thread(target=fn, args=(c,), daemon=True).start()

    def _serve_down(self, c):
        try:
            c.sendall(STOP if self.stop else self.data)
            self.downs += 1
        except OSError:
            pass
        c.close()

    def _serve_up(self, c):
        h, n = hashlib.sha256(), 0
        c.settimeout(60)
        try:
            while n < UP_KB * 1024:
                b = c.recv(65536)
                if not b:
                    break
                h.update(b)
                n += len(b)
        except OSError:
            pass
        self.uploads.append((n, h.hexdigest()))
        c.close()

    @property
    def down_sum(self):
        return hashlib.sha256(self.data).hexdigest()


def manifest(path, kit, cmd, extra="", restart="never", hostfwd=""):
    write_manifest(path, kit, cmd, f"""  - name: net0
    kind: virtio-net
    backend: slirp
    restart: {restart}
{hostfwd}""", extra)


def fetch(port, tag):
    return (f"s=$(timeout 60 nc 10.0.2.2 {port} </dev/null | sha256sum | "
            f"cut -c1-64); echo {TAG} {tag}=$s; ")


def free_port():
    """A port on 127.0.0.1 that was free a moment ago (for hostfwd)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fetch_forwarded(port, n, out):
    """Connects to the guest's listener through the device's hostfwd and
    reads n bytes; retries while the guest's nc is not listening yet."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=30)
        except OSError:
            time.sleep(0.2)
            continue
        h, got = hashlib.sha256(), 0
        try:
            while got < n:
                b = c.recv(min(65536, n - got))
                if not b:
                    break
                h.update(b)
                got += len(b)
        except OSError:
            pass
        c.close()
        if got:
            out.append((got, h.hexdigest()))
            return
        time.sleep(0.2)    # slirp accepted, the guest was not ready: again


def check_tcp(atoll, kit, tmp):
    srv = Servers(DOWN_BYTES)
    fwd = free_port()
    cmd = (NET_UP + fetch(srv.down, "down") +
           f"dd if=/dev/urandom of=/tmp/up bs=1k count={UP_KB} 2>/dev/null; "
           f"echo {TAG} upsrc=$(sha256sum /tmp/up | cut -c1-64); "
           f"timeout 60 nc 10.0.2.2 {srv.up} </tmp/up >/dev/null; "
           f"echo {TAG} listen=1; timeout 60 nc -l -p 7000 </tmp/up >/dev/null; "
           + DRV_ERRORS)
    yaml = os.path.join(tmp, "tcp.yaml")
    manifest(yaml, kit, cmd,
             hostfwd=f'    hostfwd: ["tcp:127.0.0.1:{fwd}-:7000"]\n')
    forwarded = []
    th = threading.Thread(target=fetch_forwarded,
                          args=(fwd, UP_KB * 1024, forwarded), daemon=True)

    def on_line(line):
        if f"{TAG} listen=1" in line and not th.is_alive():
            th.start()

    rc, lines = run([atoll, "run", yaml], on_line=on_line)
    if th.is_alive() or th.ident:
        th.join(5)
    v = values(lines, TAG)
    time.sleep(0.2)          # the upload thread records after the close
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0")
    if v.get("lease") != "10.0.2.15":
        problems.append(f"DHCP lease {v.get('lease')!r}, wanted 10.0.2.15")
    # carrier, not operstate: linkwatch updates the latter asynchronously.
    if v.get("carrier") != "1" or v.get("mac") != "52:54:00:12:34:56" \
            or v.get("mtu") != "1500":
        problems.append(f"eth0 carrier={v.get('carrier')} mac={v.get('mac')} "
                        f"mtu={v.get('mtu')}, wanted 1 52:54:00:12:34:56 1500")
    if v.get("down") != srv.down_sum:
        problems.append(f"download sha256 {v.get('down')} != sent "
                        f"{srv.down_sum}")
    up = srv.uploads[-1] if srv.uploads else (0, "")
    if up != (UP_KB * 1024, v.get("upsrc")):
        problems.append(f"upload: host got {up[0]} bytes sha256 {up[1]}, "
                        f"guest sent {UP_KB * 1024} sha256 {v.get('upsrc')}")
    got = forwarded[-1] if forwarded else (0, "")
    if got != (UP_KB * 1024, v.get("upsrc")):
        problems.append(f"hostfwd 127.0.0.1:{fwd} -> guest :7000: host read "
                        f"{got[0]} bytes sha256 {got[1]}, guest served "
                        f"{UP_KB * 1024} sha256 {v.get('upsrc')}")
    if v.get("drverr") != "0":
        problems.append(f"{v.get('drverr')} driver/stack error lines in dmesg")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: DHCP lease 10.0.2.15, carrier up, MAC and MTU right; {DOWN_BYTES} bytes down and "
          f"{UP_KB * 1024} bytes up through slirp, and the same back in "
          "through a manifest hostfwd rule; sha256 equal on both ends")
    return 0


def check_restrict(atoll, kit, tmp):
    srv = Servers(DOWN_BYTES)
    fwd = free_port()
    n = 64 * 1024
    cmd = (NET_UP + fetch(srv.down, "down") +
           f"dd if=/dev/urandom of=/tmp/up bs=1k count={n // 1024} "
           f"2>/dev/null; echo {TAG} upsrc=$(sha256sum /tmp/up | cut -c1-64);"
           f" echo {TAG} listen=1; timeout 60 nc -l -p 7000 </tmp/up "
           ">/dev/null; " + DRV_ERRORS)
    yaml = os.path.join(tmp, "restrict.yaml")
    manifest(yaml, kit, cmd, hostfwd="    restrict: true\n"
             f'    hostfwd: ["tcp:127.0.0.1:{fwd}-:7000"]\n')
    forwarded = []
    th = threading.Thread(target=fetch_forwarded,
                          args=(fwd, n, forwarded), daemon=True)

    def on_line(line):
        if f"{TAG} listen=1" in line and not th.is_alive():
            th.start()

    rc, lines = run([atoll, "run", yaml], on_line=on_line)
    if th.is_alive() or th.ident:
        th.join(5)
    v = values(lines, TAG)
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0")
    if v.get("lease") != "10.0.2.15":
        problems.append(f"DHCP lease {v.get('lease')!r}, wanted 10.0.2.15")
    if v.get("down") != hashlib.sha256(b"").hexdigest() or srv.downs:
        problems.append(f"the guest reached the host's 127.0.0.1:{srv.down} "
                        f"({srv.downs} connection(s) served)")
    got = forwarded[-1] if forwarded else (0, "")
    if got != (n, v.get("upsrc")):
        problems.append(f"hostfwd 127.0.0.1:{fwd} -> guest :7000: host read "
                        f"{got[0]} bytes sha256 {got[1]}, guest served {n} "
                        f"sha256 {v.get('upsrc')}")
    if v.get("drverr") != "0":
        problems.append(f"{v.get('drverr')} driver/stack error lines in dmesg")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS: restrict: true: DHCP lease 10.0.2.15; the guest's connection "
          "to the host's server at 10.0.2.2 refused, the server saw none; "
          f"{n} bytes read by the host through hostfwd, sha256 equal")
    return 0


def check_restart(atoll, kit, tmp):
    """SIGKILLs atoll-virtio-net twice while the guest downloads in a loop;
    connections cut by a kill may fail, but the device must come back and
    a new connection afterwards must deliver intact data, with no driver
    error and no driver reset."""
    srv, final = Servers(256 << 10), Servers(DOWN_BYTES)
    kills = int(os.environ.get("ATOLL_NET_KILLS", "2"))
    qmp = os.path.join(tmp, "r.qmp")
    # Downloads until the server says STOP (after the kills), at most 400.
    stop_sum = hashlib.sha256(STOP).hexdigest()
    # Each round a download (RX-heavy) and an upload (TX-heavy), so the
    # kills find chains in flight on both queues.
    loop = ("dd if=/dev/urandom of=/tmp/up bs=1k count=256 2>/dev/null; "
            f"echo {TAG} loop=start; i=0; while [ $i -lt 400 ]; do "
            f"s=$(timeout 20 nc 10.0.2.2 {srv.down} </dev/null | sha256sum | "
            f"cut -c1-64); [ $s = {stop_sum} ] && break; "
            f"timeout 20 nc 10.0.2.2 {srv.up} </tmp/up >/dev/null; "
            f"i=$((i+1)); done; echo {TAG} loop=done iters=$i; ")
    cmd = NET_UP + loop + fetch(final.down, "final") + DRV_ERRORS
    yaml = os.path.join(tmp, "r.yaml")
    manifest(yaml, kit, cmd, extra=f"qmp: {qmp}\n",
             restart="{policy: on-failure, max: 10, backoff-ms: 50}")
    killed, restarts, started = [], [], threading.Event()

    def killer():
        try:
            kill_loop()
        finally:
            srv.stop = True    # whatever happened, let the guest go on

    def kill_loop():
        if not started.wait(TIMEOUT):
            return
        restarts.append(kill_device(qmp, "net0", kills, 1.0, killed))
        time.sleep(1)          # a few downloads on the last new process

    th = threading.Thread(target=killer, daemon=True)
    th.start()
    rc, lines = run([atoll, "-v", "run", yaml],
                    on_line=lambda l: f"{TAG} loop=start" in l and
                    started.set())
    started.set()
    th.join(5)
    v = values(lines, TAG)
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0")
    if len(killed) != kills:
        problems.append(f"killed the device {len(killed)} times, wanted {kills}")
    if v.get("loop") != "done":
        problems.append("the guest's download loop did not finish")
    elif v.get("iters") == "400":
        problems.append("the loop ended at its cap, not at STOP: the kills "
                        "may have missed it")
    if v.get("final") != final.down_sum:
        problems.append(f"the download after the restarts got {v.get('final')}, "
                        f"wanted {final.down_sum}")
    if v.get("drverr") != "0":
        problems.append(f"{v.get('drverr')} driver/stack error lines in dmesg")
    # vpci_needs_reset() logs "...; the device needs a reset".
    if any("needs a reset" in l for l in lines):
        problems.append("the transport asked the driver for a reset")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: device killed {kills} times during {v.get('iters')} rounds of "
          f"download + upload ({srv.downs} sent whole, {len(srv.uploads)} "
          f"received; restarts {restarts}); a new connection "
          "afterwards delivered intact data; no driver error or reset")
    return 0


class PacedServers:
    """One download and one upload, each a single connection that the host
    keeps open until `done` is set: data moves at a trickle (16 KiB per
    0.1 s) and the last 64 KiB wait for `done`, so every kill lands on
    live connections. Records bytes, sha256 and any socket error (a reset
    would show here)."""

    def __init__(self, n):
        self.n, self.data = n, pattern(n)
        self.done = threading.Event()
        self.opened = threading.Semaphore(0)
        self.result = {}
        self.down = self._listen(self._serve_down)
        self.up = self._listen(self._serve_up)

    def _listen(self, fn):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        threading.Thread(target=self._one, args=(s, fn), daemon=True).start()
        return s.getsockname()[1]

    def _one(self, s, fn):
        c, _ = s.accept()
        self.opened.release()
        try:
            fn(c)
        except OSError as e:
            self.result.setdefault("errors", []).append(repr(e))
        c.close()

    def _step(self, done_bytes):
        if done_bytes >= self.n - (64 << 10):
            self.done.wait()
        elif not self.done.is_set():
            time.sleep(0.1)

    def _serve_down(self, c):
        sent = 0
        while sent < self.n:
            self._step(sent)
            chunk = self.n - sent if self.done.is_set() else 16 << 10
            c.sendall(self.data[sent:sent + chunk])
            sent += len(self.data[sent:sent + chunk])
        self.result["down_sent"] = sent

    def _serve_up(self, c):
        h, got = hashlib.sha256(), 0
        c.settimeout(TIMEOUT)
        while got < self.n:
            self._step(got)
            b = c.recv(65536 if self.done.is_set() else 16 << 10)
            if not b:
                break
            h.update(b)
            got += len(b)
        self.result["up"] = (got, h.hexdigest())


def replace_device(qmp, name, binary, count, interval):
    """device-replace of name by binary, count times, interval seconds
    apart; returns the answers (or errors) and the pids seen after each."""
    q, out = Qmp(qmp), []
    for _ in range(count):
        time.sleep(interval)
        try:
            r = q.execute("device-replace", {"id": name, "binary": binary})
        except RuntimeError as e:
            r = f"error: {e}"
        out.append((r, (q.device(name) or {}).get("pid")))
    return out


def check_survive(atoll, kit, tmp):
    """Kills atoll-virtio-net N times, then replaces it M times, while one
    download and one upload are open; the same two connections must
    complete, intact."""
    kills = int(os.environ.get("ATOLL_NET_SURVIVE_KILLS", "4"))
    replaces = int(os.environ.get("ATOLL_NET_SURVIVE_REPLACES", "2"))
    size = int(os.environ.get("ATOLL_NET_SURVIVE_KB", "1024")) << 10
    srv = PacedServers(size)
    qmp = os.path.join(tmp, "s.qmp")
    cmd = (NET_UP +
           f"dd if=/dev/urandom of=/tmp/up bs=1k count={size >> 10} "
           f"2>/dev/null; echo {TAG} upsrc=$(sha256sum /tmp/up | cut -c1-64);"
           f" (timeout 900 nc 10.0.2.2 {srv.down} </dev/null 2>/tmp/de | "
           "sha256sum | cut -c1-64 >/tmp/d) & "
           f"timeout 900 nc 10.0.2.2 {srv.up} </tmp/up >/dev/null 2>/tmp/ue;"
           f" wait; echo {TAG} down=$(cat /tmp/d) "
           "ncerr=$(cat /tmp/de /tmp/ue | wc -l); " + DRV_ERRORS)
    yaml = os.path.join(tmp, "s.yaml")
    manifest(yaml, kit, cmd, extra=f"qmp: {qmp}\n",
             restart="{policy: on-failure, max: 1000, backoff-ms: 20, "
             "backoff-max-ms: 100}")
    killed, restarts, replaced = [], [], []
    dev = sys.argv[3]                  # the device program, replaced by itself

    def killer():
        try:
            srv.opened.acquire()       # both connections are open
            srv.opened.acquire()
            restarts.append(kill_device(qmp, "net0", kills, 1.0, killed))
            replaced.extend(replace_device(qmp, "net0", dev, replaces, 1.0))
        finally:
            srv.done.set()             # whatever happened, let them finish

    th = threading.Thread(target=killer, daemon=True)
    th.start()
    rc, lines = run([atoll, "-v", "--device-dir", os.path.dirname(dev),
                     "run", yaml])
    srv.done.set()
    srv.opened.release()
    srv.opened.release()
    th.join(5)
    v = values(lines, TAG)
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0")
    if len(killed) != kills:
        problems.append(f"killed the device {len(killed)} times, wanted {kills}")
    bad = [r for r, _ in replaced if r != {}]
    pids = {pid for _, pid in replaced}
    if len(replaced) != replaces or bad or len(pids) != replaces:
        problems.append(f"device-replace x{replaces}: {replaced}, wanted {{}} "
                        "and a new pid each time")
    if srv.result.get("errors"):
        problems.append(f"host socket errors {srv.result['errors']}")
    if srv.result.get("down_sent") != size or v.get("down") != \
            hashlib.sha256(srv.data).hexdigest():
        problems.append(f"download: host sent {srv.result.get('down_sent')} "
                        f"of {size} bytes, guest sha256 {v.get('down')}")
    up = srv.result.get("up", (0, ""))
    if up != (size, v.get("upsrc")):
        problems.append(f"upload: host got {up[0]} bytes sha256 {up[1]}, "
                        f"guest sent {size} sha256 {v.get('upsrc')}")
    if v.get("ncerr") != "0":
        problems.append(f"{v.get('ncerr')} error lines from the guest's nc")
    if v.get("drverr") != "0":
        problems.append(f"{v.get('drverr')} driver/stack error lines in dmesg")
    if any("needs a reset" in l for l in lines):
        problems.append("the transport asked the driver for a reset")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: device killed {kills} times (restarts {restarts}) and "
          f"replaced {replaces} times while one "
          f"download and one upload of {size} bytes each stayed open; both "
          "completed on their first connection with equal sha256, no "
          "socket error on either end, no driver error or reset")
    return 0


BENCH_MB = int(os.environ.get("ATOLL_NET_BENCH_MB", "16"))


def bench_cmd(srv):
    # busybox `time` prints "real 0m 1.23s"; the sizes are known.
    return ("ip link set eth0 up; ip addr add 10.0.2.15/24 dev eth0; "
            "ip route add default via 10.0.2.2; "
            f"dd if=/dev/zero of=/tmp/up bs=1M count={BENCH_MB} 2>/dev/null; "
            f"t0=$(cut -d' ' -f1 /proc/uptime); "
            f"nc 10.0.2.2 {srv.down} </dev/null >/dev/null; "
            f"t1=$(cut -d' ' -f1 /proc/uptime); "
            f"nc 10.0.2.2 {srv.up} </tmp/up >/dev/null; "
            f"t2=$(cut -d' ' -f1 /proc/uptime); "
            f"echo {TAG} t0=$t0 t1=$t1 t2=$t2")


def rates(lines):
    v = values(lines, TAG)
    try:
        t0, t1, t2 = (float(v[k]) for k in ("t0", "t1", "t2"))
    except (KeyError, ValueError):
        return {}
    mb = BENCH_MB * 1048576 / 1e6
    return {"down": mb / max(t1 - t0, 0.01), "up": mb / max(t2 - t1, 0.01)}


def bench(atoll, kit, tmp):
    global UP_KB
    if not shutil.which("qemu-system-riscv64"):
        print("SKIP: qemu-system-riscv64 not installed (qemu-system-misc)")
        return SKIP
    UP_KB = BENCH_MB * 1024
    srv = Servers(BENCH_MB << 20)
    cmd = bench_cmd(srv)
    yaml = os.path.join(tmp, "bench.yaml")
    manifest(yaml, kit, cmd)
    qemu = ["qemu-system-riscv64", "-M", "virt", "-smp", str(HARTS),
            "-m", "256M", "-nographic", "-bios", "default",
            "-kernel", f"{kit}/Image", "-initrd", f"{kit}/initramfs.cpio.gz",
            "-append", f'console=ttyS0 quiet atoll.run="{cmd}"',
            "-netdev", "user,id=n0",
            # no option ROM: riscv firmware has no use for it, Debian ships
            # it only with the x86 QEMU package
            "-device", "virtio-net-pci,netdev=n0,romfile="]
    runs = int(os.environ.get("ATOLL_BENCH_RUNS", "3"))
    a, q, ok = {}, {}, True
    for _ in range(runs):     # interleaved, best of `runs` for each
        rc, al = run([atoll, "run", yaml], echo=False)
        ok = ok and rc == 0
        for k, r in rates(al).items():
            a[k] = max(a.get(k, 0), r)
        rc, ql = run(qemu, echo=False)
        ok = ok and rc == 0
        for k, r in rates(ql).items():
            q[k] = max(q.get(k, 0), r)
    print(f"# in-guest TCP through slirp to 127.0.0.1 (as 10.0.2.2), "
          f"{BENCH_MB} MiB each way with busybox nc, {HARTS} harts, same "
          f"kernel and initrd, best of {runs} interleaved runs")
    print(f"{'':30}{'down MB/s':>12}{'up MB/s':>12}")
    for name, r in (("qemu TCG -netdev user", q), ("atoll (out-of-process)", a)):
        print(f"{name:30}{r.get('down', float('nan')):>12.2f}"
              f"{r.get('up', float('nan')):>12.2f}")
    if len(a) == 2 and len(q) == 2:
        print(f"{'ratio atoll/qemu':30}{a['down'] / q['down']:>11.2f}x"
              f"{a['up'] / q['up']:>11.2f}x")
    if not ok or len(a) < 2 or len(q) < 2:
        print(f"# a run failed: atoll {a}, qemu {q}")
        return 1
    return 0


def main():
    return guest_main(__doc__, "atoll-net-", {
        "tcp": check_tcp, "restrict": check_restrict,
        "restart": check_restart, "survive": check_survive,
        "bench": bench})


if __name__ == "__main__":
    sys.exit(main())
