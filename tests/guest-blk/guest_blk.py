#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Linux guest tests of virtio-blk through the virtio-pci transport, run
with the real launcher (`atoll run`): atoll-mem, atoll-cpu (riscv-virt,
2 harts) and atoll-virtio-blk as separate processes.

  guest_blk.py rw ATOLL ATOLL_BLK     /dev/vda at the right size; mke2fs,
                                      files with checksums, a second VM run
                                      verifies them and the whole image
  guest_blk.py ro ATOLL ATOLL_BLK     a `readonly: true` disk refuses writes
  guest_blk.py restart ATOLL ATOLL_BLK  the device is SIGKILLed (via its QMP
                                      pid) during guest I/O; the launcher
                                      restarts it, the transport re-attaches
                                      it; no file corrupt, no I/O error
  guest_blk.py stress ATOLL ATOLL_BLK 16 writers doing O_DIRECT writes,
                                      fsync and O_DIRECT read-back verify on
                                      their own blocks while the host
                                      SIGKILLs the device at random moments
                                      ($ATOLL_BLK_STRESS_KILLS, default 12):
                                      no I/O error, no bad block, no head
                                      completed twice ('not a head') or
                                      never (a writer that hangs)
  guest_blk.py bench-restart ATOLL ATOLL_BLK  the same load; prints, over
                                      the kills, the time from the kill to
                                      the restarted device's first completed
                                      request (median, p99)
  guest_blk.py bench ATOLL ATOLL_BLK  in-guest dd throughput, atoll beside
                                      qemu-system-riscv64 virtio-blk-pci on
                                      the same image, kernel and initrd

The guest kit comes from $ATOLL_GUEST_DIR, else the build cache's
'current' pointer. Without it, without a device binary, or (bench) without
QEMU, the test is skipped with exit status 77 and a reason.
"""
import ctypes
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

# The guest kit lookup (and its skip) is the boot test's. No bytecode
# cache: it would land in the source tree.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "guest"))
from guest_boot import FIRMWARE, SKIP, guest_dir  # noqa: E402

TIMEOUT = int(os.environ.get("ATOLL_GUEST_TIMEOUT", "300"))
HARTS = 2
DISK_MB = 32
NFILES = 100
BENCH_MB = int(os.environ.get("ATOLL_BLK_BENCH_MB", "32"))


def userns_unavailable():
    """Why this host cannot give the launcher's sandboxes their user
    namespace (every profile has one), or None: unshare(CLONE_NEWUSER) in
    a child, never through atoll, so a broken sandbox still fails."""
    libc = ctypes.CDLL(None, use_errno=True)
    pid = os.fork()
    if pid == 0:
        ok = libc.unshare(0x10000000) == 0          # CLONE_NEWUSER
        os._exit(0 if ok else ctypes.get_errno() & 0xff)
    err = os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
    if err == 0:
        return None
    return (f"cannot create a user namespace as uid {os.geteuid()}: "
            f"{os.strerror(err)}")


def guest_unavailable(binaries):
    """Why a guest test cannot run here, or None: one of `binaries` is not
    built, OpenSBI is missing, or the host has no user namespaces for the
    sandbox. (guest_dir() skips by itself when the guest kit is missing.)"""
    for b in binaries:
        if not os.access(b, os.X_OK):
            return f"{b} is not built"
    if not os.path.isfile(FIRMWARE):
        return f"{FIRMWARE} missing (apt-get install opensbi)"
    return userns_unavailable()


def guest_main(doc, prefix, modes):
    """main() of a guest test script run as SCRIPT MODE ATOLL DEVICE: skips
    (77) with a reason when a binary, the guest kit or OpenSBI is missing
    or the host has no user namespaces for the sandbox,
    then runs modes[MODE](atoll, kit, tmp) in a fresh temporary folder."""
    if len(sys.argv) != 4 or sys.argv[1] not in modes:
        print(doc)
        return 2
    mode, atoll, dev = sys.argv[1:]
    why = guest_unavailable((atoll, dev))
    if why:
        print(f"SKIP: {why}")
        return SKIP
    kit = guest_dir()
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        os.chmod(tmp, 0o755)
        return modes[mode](atoll, kit, tmp)


def write_manifest(path, kit, cmd, devices, extra="", shell=False):
    """Writes a manifest that boots the guest kit with atoll.run=cmd and the
    given devices (YAML list items); with shell, init then starts a shell
    on the console (atoll.shell=1) for a test that types its commands.
    The cmdline is a JSON string, which is also a valid YAML double-quoted
    scalar, so any quoting survives."""
    # The manifest expands ${NAME}; $$ is a literal $.
    cmdline = (f'console=ttyS0 quiet atoll.run="{cmd}"' +
               (" atoll.shell=1" if shell else "")).replace("$", "$$")
    with open(path, "w") as f:
        f.write(f"""name: {os.path.basename(path)[:-5]}
machine:
  type: riscv-virt
  cpus: {HARTS}
memory:
  size: 256M
boot:
  kernel: {kit}/Image
  initrd: {kit}/initramfs.cpio.gz
  cmdline: {json.dumps(cmdline)}
console: stdio
{extra}devices:
{devices}""")


def manifest(path, kit, disk, cmd, readonly=False, extra="",
             restart="never"):
    write_manifest(path, kit, cmd, f"""  - name: disk0
    kind: virtio-blk
    path: {disk}
    readonly: {"true" if readonly else "false"}
    restart: {restart}
""", extra)


def launcher_argv(cmd):
    """The guest kit lies outside the test's folder, where the manifests
    are: the launcher (atoll) is given --image-dir for it, which only the
    operator may grant. Other commands are left as they are."""
    if os.path.basename(cmd[0]) != "atoll":
        return cmd
    return [cmd[0], "--image-dir", guest_dir()] + list(cmd[1:])


def run(cmd, echo=True, on_line=None, timeout=TIMEOUT):
    """Runs cmd with a deadline; returns (status or None, output lines).
    on_line, if given, is called with each line as it arrives (to act on
    guest markers)."""
    import threading
    cmd = launcher_argv(cmd)
    lines = []
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    # A guest whose I/O hung prints nothing: the deadline must not wait
    # for a line.
    expired = []
    timer = threading.Timer(timeout, lambda: (expired.append(1), p.kill()))
    timer.start()
    try:
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if echo:
                print(line, flush=True)
            if on_line:
                on_line(line)
            if time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(cmd, timeout)
        rc = p.wait(timeout=max(1, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        rc = None
    timer.cancel()
    if expired:
        rc = None
    return rc, no_seccomp_kill(lines)


def no_seccomp_kill(lines):
    """Every process runs under its sandbox profile; a profile missing a
    call the workload needs shows up as a seccomp kill, which a restarted
    device would otherwise hide."""
    kills = [l for l in lines if "forbidden system call" in l]
    if kills:
        print("FAIL: a process was killed by its seccomp profile:\n  " +
              "\n  ".join(kills), flush=True)
        sys.exit(1)
    return lines


def atoll_run(atoll, yaml):
    return run([atoll, "run", yaml])


def values(lines, tag="ATOLL-BLK"):
    """key=value pairs from lines starting `TAG k=v k=v` (last one wins);
    the kernel's echo of its command line does not count."""
    out = {}
    for line in lines:
        if not line.startswith(tag + " "):
            continue
        for kv in line[len(tag) + 1:].split():
            if "=" in kv:
                k, v = kv.split("=", 1)
                out[k] = v
    return out


def sums(lines):
    """{name: sha256} from sha256sum output lines."""
    out = {}
    for line in lines:
        m = re.search(r"\b([0-9a-f]{64})  (f\d)$", line)
        if m:
            out[m.group(2)] = m.group(1)
    return out


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def make_disk(path, mb):
    with open(path, "wb") as f:
        f.truncate(mb << 20)


DEV_SUM = "echo ATOLL-BLK dev=$(dd if=/dev/vda bs=64k 2>/dev/null | sha256sum | cut -c1-64)"

WRITE = ("echo ATOLL-BLK size=$(cat /sys/block/vda/size) ro=$(cat /sys/block/vda/ro); "
         "mke2fs -q /dev/vda && mount -t ext2 /dev/vda /mnt && "
         "for i in 1 2 3; do dd if=/dev/urandom of=/mnt/f$i bs=4k count=$((i*40)) 2>/dev/null; done; "
         "cd /mnt && sha256sum f1 f2 f3; cd /; umount /mnt && sync && "
         "echo ATOLL-BLK written=1; " + DEV_SUM)

VERIFY = ("mount -t ext2 -o ro /dev/vda /mnt && cd /mnt && sha256sum f1 f2 f3; "
          "cd /; umount /mnt; echo ATOLL-BLK verified=1; " + DEV_SUM)


def check_rw(atoll, kit, tmp):
    disk = os.path.join(tmp, "disk.img")
    make_disk(disk, DISK_MB)
    problems = []

    manifest(os.path.join(tmp, "write.yaml"), kit, disk, WRITE)
    rc, lines = atoll_run(atoll, os.path.join(tmp, "write.yaml"))
    v, s1 = values(lines), sums(lines)
    host1 = file_sha256(disk)
    if rc != 0:
        problems.append(f"first run: exit status {rc}, wanted 0")
    if v.get("size") != str((DISK_MB << 20) // 512):
        problems.append(f"/sys/block/vda/size {v.get('size')!r}, "
                        f"wanted {(DISK_MB << 20) // 512}")
    if v.get("ro") != "0":
        problems.append(f"/sys/block/vda/ro {v.get('ro')!r}, wanted 0")
    if v.get("written") != "1" or len(s1) != 3:
        problems.append(f"first run did not write and sum 3 files ({s1})")
    if v.get("dev") != host1:
        problems.append(f"guest's device checksum {v.get('dev')} != host's "
                        f"image checksum {host1}")

    manifest(os.path.join(tmp, "verify.yaml"), kit, disk, VERIFY)
    rc, lines = atoll_run(atoll, os.path.join(tmp, "verify.yaml"))
    v2, s2 = values(lines), sums(lines)
    if rc != 0:
        problems.append(f"second run: exit status {rc}, wanted 0")
    if v2.get("verified") != "1" or s2 != s1 or not s1:
        problems.append(f"second run checksums {s2} != first run's {s1}")
    if v2.get("dev") != host1 or file_sha256(disk) != host1:
        problems.append("the image changed in a read-only mount, or the "
                        "guest read back something else")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: /dev/vda {DISK_MB} MiB; ext2 with 3 files written, synced, "
          "and verified by a second VM; guest and host image checksums agree")
    return 0


RO = ("echo ATOLL-BLK ro=$(cat /sys/block/vda/ro); "
      "dd if=/dev/zero of=/dev/vda bs=4k count=1 conv=fsync 2>/dev/null; "
      "echo ATOLL-BLK ddrc=$?; "
      "mount -t ext2 /dev/vda /mnt 2>/dev/null; "
      "echo ATOLL-BLK mode=$(grep ' /mnt ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1); "
      "touch /mnt/new 2>/dev/null; echo ATOLL-BLK touchrc=$?; " + DEV_SUM)


RESTART = ("mke2fs -q /dev/vda >/dev/null && mount -t ext2 /dev/vda /mnt && "
           "dd if=/dev/urandom of=/tmp/src bs=4k count=64 2>/dev/null && "
           "echo ATOLL-BLK src=$(sha256sum /tmp/src | cut -c1-64) && "
           "echo ATOLL-BLK loop=start; i=0; "
           "while [ $i -lt {n} ]; do cp /tmp/src /mnt/g$i && sync || echo ATOLL-BLK copyfail=$i; "
           "i=$((i+1)); done; echo ATOLL-BLK loop=done; "
           "echo 3 > /proc/sys/vm/drop_caches; "
           "echo ATOLL-BLK distinct=$(sha256sum /mnt/g* | cut -c1-64 | sort -u | tr '\\n' ,); "
           "echo ATOLL-BLK files=$(ls /mnt | grep -c ^g); umount /mnt; "
           "echo ATOLL-BLK ioerr=$(dmesg | grep -v 'command line' | grep -c -i 'i/o error'); "
           "dmesg | grep -v 'command line' | grep -i -e error -e virtio | tail -5")


def kill_device(qmp, name, kills, interval, killed):
    """SIGKILLs device name kills times, interval seconds apart, each time
    waiting until the launcher has started its replacement; appends the
    killed pids to killed and returns the launcher's restart count."""
    import signal
    q = Qmp(qmp)
    for _ in range(kills):
        time.sleep(interval)
        d = q.device(name)
        if not d or not d.get("pid"):
            break
        os.kill(d["pid"], signal.SIGKILL)
        killed.append(d["pid"])
        for _ in range(100):     # wait for the new process
            time.sleep(0.05)
            d = q.device(name)
            if d and d.get("pid") and d["pid"] not in killed:
                break
    return (q.device(name) or {}).get("restarts")


class Qmp:
    def __init__(self, path):
        import socket
        for _ in range(100):
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                time.sleep(0.05)
        else:
            raise RuntimeError(f"no QMP socket at {path}")
        self.file = self.sock.makefile("rw", newline="")
        json.loads(self.file.readline())
        self.execute("qmp_capabilities")

    def execute(self, cmd, args=None):
        req = {"execute": cmd}
        if args:
            req["arguments"] = args
        self.file.write(json.dumps(req) + "\n")
        self.file.flush()
        while True:
            r = json.loads(self.file.readline())
            if "event" in r:
                continue
            if "error" in r:
                raise RuntimeError(str(r["error"]))
            return r["return"]

    def device(self, name):
        for p in self.execute("query-processes"):
            if p["name"] == name:
                return p
        return None


def check_restart(atoll, kit, tmp):
    """Kills atoll-virtio-blk (SIGKILL) twice while the guest copies files
    and syncs in a loop; the launcher restarts it, the transport re-attaches
    it, and the guest must see neither an I/O error nor a corrupt file."""
    import threading
    disk, qmp = os.path.join(tmp, "r.img"), os.path.join(tmp, "r.qmp")
    kills = int(os.environ.get("ATOLL_BLK_KILLS", "2"))
    make_disk(disk, DISK_MB)
    manifest(os.path.join(tmp, "r.yaml"), kit, disk,
             RESTART.replace("{n}", str(NFILES)), extra=f"qmp: {qmp}\n",
             restart="{policy: on-failure, max: 10, backoff-ms: 50}")
    killed, started = [], threading.Event()

    def killer():
        if started.wait(TIMEOUT):
            restarts.append(kill_device(qmp, "disk0", kills, 0.4, killed))

    restarts = []
    th = threading.Thread(target=killer, daemon=True)
    th.start()
    rc, lines = run([atoll, "-v", "run", os.path.join(tmp, "r.yaml")],
                    on_line=lambda l: "ATOLL-BLK loop=start" in l and
                    started.set(), timeout=min(TIMEOUT, 180))
    started.set()
    th.join(5)
    v = values(lines)
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0")
    if len(killed) != kills:
        problems.append(f"killed the device {len(killed)} times, wanted {kills}")
    if v.get("loop") != "done":
        problems.append("the guest's copy loop did not finish")
    if "copyfail" in v:
        problems.append(f"a copy failed (file g{v['copyfail']})")
    if v.get("files") != str(NFILES):
        problems.append(f"{v.get('files')} files, wanted {NFILES}")
    if v.get("distinct") != v.get("src", "?") + ",":
        problems.append(f"file checksums {v.get('distinct')!r}, wanted only "
                        f"the source's {v.get('src')!r}")
    if v.get("ioerr") != "0":
        problems.append(f"{v.get('ioerr')} I/O errors in the guest's log")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: device killed {kills} times during guest I/O (restarts "
          f"{restarts}); {NFILES} files copied and synced, all intact, no guest "
          "I/O error")
    return 0


# 16 writers, each on its own 64 KiB block of the raw disk: a fresh random
# pattern, an O_DIRECT write with fsync (a FLUSH), an O_DIRECT read back
# compared with the pattern; {r} rounds. Beside them a reader keeps O_DIRECT
# reads going, so that the device always has work (the writers spend most
# of their time starting programs under the DBT). The kernel command line
# is short (1 KiB on riscv), hence the terse shell.
STRESS = ("w(){ i=$1;r=0;b=0;e=0;while [ $r -lt {r} ];do "
          "dd if=/dev/urandom of=/tmp/p$i bs=64k count=1 2>/dev/null;"
          "dd if=/tmp/p$i of=/dev/vda bs=64k seek=$i count=1 oflag=direct "
          "conv=notrunc,fsync 2>/dev/null||e=$((e+1));"
          "x=$(sha256sum </tmp/p$i|cut -c1-64);y=$(dd if=/dev/vda bs=64k skip=$i "
          "count=1 iflag=direct 2>/dev/null|sha256sum|cut -c1-64);"
          "[ $x = $y ]||b=$((b+1));"
          "r=$((r+1));done;echo ATOLL-STRESS w=$i err=$e bad=$b rounds=$r;};"
          "echo ATOLL-BLK stress=start;"
          "while :;do dd if=/dev/vda of=/dev/null bs=4k count=256 iflag=direct "
          "2>/dev/null;done & P=$!;"
          "i=0;while [ $i -lt 16 ];do w $i & echo $! >>/tmp/w;i=$((i+1));"
          "done;wait $(cat /tmp/w);kill $P;echo ATOLL-BLK stress=done;"
          "dmesg|grep -v 'command line'>/tmp/d;"
          "echo ATOLL-BLK ioerr=$(grep -c -i 'i/o error' /tmp/d)"
          " nothead=$(grep -c 'not a head' /tmp/d);"
          "grep -i -e virtio -e error /tmp/d|tail -5")
WRITERS = 16
STRESS_DELAY_MS = int(os.environ.get("ATOLL_BLK_STRESS_DELAY_MS", "40"))


def hold_requests(q, name):
    """Has the device hold each completion back STRESS_DELAY_MS (QMP
    inject-fault delay), so that a kill finds requests in flight: under the
    DBT the guest is slow and the device completes in microseconds."""
    if STRESS_DELAY_MS:
        q.execute("inject-fault", {"id": name, "kind": "delay",
                                   "duration": STRESS_DELAY_MS})


def stress_actions():
    """What the host does to the device during the load, shuffled: SIGKILLs,
    QMP inject-fault crash (the device aborts), inject-fault hang (SIGSTOP;
    the heartbeat kills it), device-replace (the same program)."""
    import random
    acts = (["kill"] * int(os.environ.get("ATOLL_BLK_STRESS_KILLS", "12")) +
            ["crash"] * int(os.environ.get("ATOLL_BLK_STRESS_CRASHES", "3")) +
            ["hang"] * int(os.environ.get("ATOLL_BLK_STRESS_HANGS", "1")) +
            ["replace"] * int(os.environ.get("ATOLL_BLK_STRESS_REPLACES", "2")))
    random.Random(int(os.environ.get("ATOLL_BLK_STRESS_SEED", "11"))).shuffle(acts)
    return acts


def act_on_device(q, name, action, binary):
    """Does one action to device `name`; returns the old pid and the
    CLOCK_MONOTONIC time of the old process's death where the host knows it
    (kill, crash), or for a replacement the time the command was sent (the
    old process dies later, once the new one is READY)."""
    import signal
    pid = q.device(name)["pid"]
    t = time.monotonic()
    if action == "kill":
        os.kill(pid, signal.SIGKILL)
    elif action == "crash":
        q.execute("inject-fault", {"id": name, "kind": "crash"})
    elif action == "hang":
        q.execute("inject-fault", {"id": name, "kind": "hang"})
        t = None
    else:
        q.execute("device-replace", {"id": name, "binary": binary})
    return pid, t


def disturb_device(qmp, name, actions, binary, done, death_times, stop):
    """Does `actions` to device `name`, each after a random 0.1-0.5 s of
    running (from the moment its successor serves), until stop is set;
    appends each action done to `done` and the known death times to
    death_times."""
    import random
    q = Qmp(qmp)
    rnd = random.Random(int(os.environ.get("ATOLL_BLK_STRESS_SEED", "11")))
    hold_requests(q, name)
    for action in actions:
        time.sleep(rnd.uniform(0.1, 0.5))
        if stop.is_set():
            return
        d = q.device(name)
        if not d or not d.get("pid"):
            return
        old, t = act_on_device(q, name, action, binary)
        done.append(action)
        if t is not None:
            death_times.append((action, t))
        for _ in range(1000):    # until its successor serves
            time.sleep(0.01)
            try:
                d = q.device(name)
                if d and d.get("pid") and d["pid"] != old:
                    hold_requests(q, name)
                    break
            except RuntimeError:
                pass              # still starting: not running yet


def stress_run(atoll, blk, kit, tmp, actions, rounds):
    """The stress load while `actions` are done to the device; returns
    (status, lines, actions done, known death times)."""
    import threading
    disk, qmp = os.path.join(tmp, "s.img"), os.path.join(tmp, "s.qmp")
    make_disk(disk, DISK_MB)
    write_manifest(os.path.join(tmp, "s.yaml"), kit,
                   STRESS.replace("{r}", str(rounds)), f"""  - name: disk0
    kind: virtio-blk
    path: {disk}
    restart: {{policy: on-failure, max: {len(actions) + 10}, backoff-ms: 0}}
    health: {{interval-ms: 100, deadline-ms: 300}}
""", extra=f"qmp: {qmp}\n")
    done, death_times = [], []
    started, stop = threading.Event(), threading.Event()

    def disturber():
        if started.wait(TIMEOUT) and not stop.is_set():
            disturb_device(qmp, "disk0", actions, os.path.abspath(blk), done,
                           death_times, stop)

    def on_line(line):
        if "ATOLL-BLK stress=start" in line:
            started.set()
        if "ATOLL-BLK stress=done" in line:
            stop.set()

    th = threading.Thread(target=disturber, daemon=True)
    th.start()
    rc, lines = run([atoll, "-v", "--allow-binary", "run",
                     os.path.join(tmp, "s.yaml")],
                    on_line=on_line, echo=bool(os.environ.get("ATOLL_TEST_ECHO")),
                    timeout=TIMEOUT)
    stop.set()
    started.set()
    th.join(10)
    return rc, lines, done, death_times


def stress_problems(rc, lines, done, actions):
    v = values(lines)
    writers = [dict(kv.split("=", 1) for kv in l.split()[1:])
               for l in lines if l.startswith("ATOLL-STRESS ")]
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (None: the guest's I/O "
                        "hung until the deadline)")
    if len(done) != len(actions):
        problems.append(f"did {len(done)} of {len(actions)} actions to the "
                        "device during the load (raise the rounds)")
    if v.get("stress") != "done" or len(writers) != WRITERS:
        problems.append(f"{len(writers)} of {WRITERS} writers finished "
                        "(a request never completed)")
    errs = sum(int(w.get("err", 1)) for w in writers)
    bad = sum(int(w.get("bad", 1)) for w in writers)
    if errs or bad:
        problems.append(f"{errs} failed writes, {bad} bad blocks on verify")
    if v.get("ioerr") != "0":
        problems.append(f"{v.get('ioerr')} I/O errors in the guest's log")
    if v.get("nothead") != "0":
        problems.append(f"{v.get('nothead')} completions of a head not in "
                        "flight ('not a head') in the guest's log")
    refused = [l for l in lines if "which is not in flight" in l]
    if refused:
        problems.append(f"the device refused {len(refused)} completions of "
                        "heads not in flight")
    return problems, writers


def resubmitted(lines):
    """Requests the restarted devices resubmitted, from their logs."""
    n = 0
    for l in lines:
        m = re.search(r"with (\d+) request\(s\) to resubmit", l)
        if m:
            n += int(m.group(1))
    return n


def check_stress(atoll, blk, kit, tmp):
    actions = stress_actions()
    rounds = int(os.environ.get("ATOLL_BLK_STRESS_ROUNDS",
                                str(8 + len(actions))))
    rc, lines, done, _ = stress_run(atoll, blk, kit, tmp, actions, rounds)
    problems, writers = stress_problems(rc, lines, done, actions)
    if problems:
        for l in lines[-40:]:
            print("#   " + l)
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: {WRITERS} writers x {rounds} rounds of O_DIRECT write + "
          f"fsync + O_DIRECT verify; at random moments the device was "
          + ", ".join(f"{a}: {done.count(a)}" for a in
                      ("kill", "crash", "hang", "replace")) +
          f"; each device holding completions "
          f"{STRESS_DELAY_MS} ms; {resubmitted(lines)} in-flight requests "
          "resubmitted by the restarted devices; 0 I/O errors, 0 bad blocks, "
          "0 completions of a head not in flight, every writer finished")
    return 0


def first_completions(lines):
    """CLOCK_MONOTONIC times of each device process's first completion."""
    out = []
    for l in lines:
        m = re.search(r"first request completed at monotonic (\d+\.\d+)", l)
        if m:
            out.append(float(m.group(1)))
    return sorted(out)


def bench_restart(atoll, blk, kit, tmp):
    # No injected delay here: it would hold the first completion back too.
    global STRESS_DELAY_MS
    STRESS_DELAY_MS = int(os.environ.get("ATOLL_BLK_BENCH_DELAY_MS", "0"))
    import math
    import random
    kills = int(os.environ.get("ATOLL_BLK_STRESS_KILLS", "20"))
    replaces = int(os.environ.get("ATOLL_BLK_BENCH_REPLACES", "5"))
    actions = ["kill"] * kills + ["replace"] * replaces
    random.Random(7).shuffle(actions)
    rounds = int(os.environ.get("ATOLL_BLK_STRESS_ROUNDS",
                                str(8 + len(actions))))
    rc, lines, done, times = stress_run(atoll, blk, kit, tmp, actions,
                                        rounds)
    problems, _ = stress_problems(rc, lines, done, actions)
    firsts = first_completions(lines)
    gaps = {"kill": [], "replace": []}
    for action, t in times:
        after = [f for f in firsts if f > t]
        if after:
            gaps[action].append((after[0] - t) * 1000)
    print(f"# {kills} SIGKILLs and {replaces} device-replace (same program) "
          f"of atoll-virtio-blk under {WRITERS} O_DIRECT writers and a "
          "reader; time to the next process's first completed request "
          "(CLOCK_MONOTONIC, the device's log) from the kill, or from sending "
          "device-replace (an upper bound: the new program starts while the "
          "old one serves); restart policy backoff-ms 0; injected delay "
          f"{STRESS_DELAY_MS} ms")
    print(f"{'':34}{'n':>4}{'median ms':>12}{'p99 ms':>12}{'max ms':>12}")
    for action, label in (("kill", "kill -> first completion"),
                          ("replace", "replace cmd -> first completion")):
        g = sorted(gaps[action])
        if not g:
            print(f"{label:34}{0:>4}  (none timed)")
            continue
        p99 = g[math.ceil(len(g) * 0.99) - 1]      # nearest rank
        print(f"{label:34}{len(g):>4}{g[len(g) // 2]:>12.1f}{p99:>12.1f}"
              f"{g[-1]:>12.1f}")
    print(f"{'goal (issue 11)':34}{'':>4}{50.0:>12.1f}{200.0:>12.1f}")
    if not gaps["kill"]:
        return 1
    if problems:
        print("# the load itself failed: " + "; ".join(problems))
    return 0 if not problems else 1


def check_ro(atoll, kit, tmp):
    disk = os.path.join(tmp, "ro.img")
    make_disk(disk, DISK_MB)
    # An ext2 image made by a rw VM first, so the ro VM has a filesystem.
    manifest(os.path.join(tmp, "mk.yaml"), kit, disk,
             "mke2fs -q /dev/vda && sync && echo ATOLL-BLK made=1")
    rc, lines = atoll_run(atoll, os.path.join(tmp, "mk.yaml"))
    if rc != 0 or values(lines).get("made") != "1":
        print(f"FAIL: could not prepare the image (status {rc})")
        return 1
    before = file_sha256(disk)
    manifest(os.path.join(tmp, "ro.yaml"), kit, disk, RO, readonly=True)
    rc, lines = atoll_run(atoll, os.path.join(tmp, "ro.yaml"))
    v = values(lines)
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0")
    if v.get("ro") != "1":
        problems.append(f"/sys/block/vda/ro {v.get('ro')!r}, wanted 1")
    if v.get("ddrc") in (None, "0"):
        problems.append(f"dd to /dev/vda exited {v.get('ddrc')!r}, wanted failure")
    if v.get("mode") not in ("ro", ""):
        problems.append(f"ext2 mounted {v.get('mode')!r}, wanted ro or refused")
    if v.get("touchrc") in (None, "0"):
        problems.append("creating a file succeeded")
    if v.get("dev") != before or file_sha256(disk) != before:
        problems.append("the image changed")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS: read-only disk: ro=1, raw write and file creation refused, "
          "image unchanged")
    return 0


BENCH = ("dd if=/dev/zero of=/dev/vda bs=1M count={mb} conv=fsync 2>&1 | "
         "grep copied | sed 's/^/ATOLL-BENCH write /'; "
         "echo 3 > /proc/sys/vm/drop_caches; "
         "dd if=/dev/vda of=/dev/null bs=1M count={mb} 2>&1 | "
         "grep copied | sed 's/^/ATOLL-BENCH read /'")


def dd_rates(lines):
    """{'write': MB/s, 'read': MB/s} from busybox dd's summary lines."""
    out = {}
    for line in lines:
        m = re.search(r"ATOLL-BENCH (\w+) (\d+) bytes .* copied, ([0-9.]+) s", line)
        if m and float(m.group(3)) > 0:
            out[m.group(1)] = int(m.group(2)) / float(m.group(3)) / 1e6
    return out


def qemu_cmd(kit, disk, cmd):
    return ["qemu-system-riscv64", "-M", "virt", "-smp", str(HARTS),
            "-m", "256M", "-nographic", "-bios", "default",
            "-kernel", f"{kit}/Image", "-initrd", f"{kit}/initramfs.cpio.gz",
            "-append", f'console=ttyS0 quiet atoll.run="{cmd}"',
            "-drive", f"file={disk},format=raw,if=none,id=d0,cache=writeback",
            "-device", "virtio-blk-pci,drive=d0"]


def bench(atoll, kit, tmp):
    if not shutil.which("qemu-system-riscv64"):
        print("SKIP: qemu-system-riscv64 not installed (qemu-system-misc)")
        return SKIP
    disk = os.path.join(tmp, "bench.img")
    make_disk(disk, BENCH_MB + 1)
    cmd = BENCH.format(mb=BENCH_MB)
    manifest(os.path.join(tmp, "bench.yaml"), kit, disk, cmd)
    runs = int(os.environ.get("ATOLL_BENCH_RUNS", "3"))
    a, q, arc, qrc, alines, qlines = {}, {}, 0, 0, [], []
    for _ in range(runs):     # interleaved, best of `runs` for each
        rc, alines = run([atoll, "run", os.path.join(tmp, "bench.yaml")],
                         echo=False)
        arc = arc or rc
        for k, r in dd_rates(alines).items():
            a[k] = max(a.get(k, 0), r)
        rc, qlines = run(qemu_cmd(kit, disk, cmd), echo=False)
        qrc = qrc or rc
        for k, r in dd_rates(qlines).items():
            q[k] = max(q.get(k, 0), r)
    print(f"# in-guest dd, {BENCH_MB} MiB, bs=1M, {HARTS} harts, same image, "
          "kernel and initrd; write with conv=fsync, read after drop_caches; "
          f"best of {runs} interleaved runs")
    print(f"{'':28}{'write MB/s':>12}{'read MB/s':>12}")
    for name, r in (("qemu TCG virtio-blk-pci", q), ("atoll (out-of-process)", a)):
        print(f"{name:28}{r.get('write', float('nan')):>12.2f}"
              f"{r.get('read', float('nan')):>12.2f}")
    if a.get("read") and q.get("read") and a.get("write") and q.get("write"):
        print(f"{'ratio atoll/qemu':28}{a['write'] / q['write']:>11.2f}x"
              f"{a['read'] / q['read']:>11.2f}x")
    ok = len(a) == 2 and len(q) == 2 and arc == 0 and qrc == 0
    if not ok:
        print(f"# a run failed: atoll status {arc} {a}, qemu status {qrc} {q}")
        for l in (alines if len(a) < 2 else qlines)[-10:]:
            print("#   " + l)
    return 0 if ok else 1


def main():
    return guest_main(__doc__, "atoll-blk-", {
        "rw": check_rw, "ro": check_ro, "restart": check_restart,
        # the device program (argv[3]) is also what device-replace starts
        "stress": lambda a, k, t: check_stress(a, sys.argv[3], k, t),
        "bench-restart": lambda a, k, t: bench_restart(a, sys.argv[3], k, t),
        "bench": bench})


if __name__ == "__main__":
    sys.exit(main())
