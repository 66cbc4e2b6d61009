#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""io-error and drop-interrupt injected over QMP into a Linux guest's disk
show the effect they name, and the guest recovers from each; no timing in
pass/fail. Phase a: the guest reads its disk with O_DIRECT in a loop and
the host injects one io-error: a read fails (dd, and the kernel logs an
I/O error), then 20 reads succeed. Phase b: two more readers keep the
queue busy and the host injects one drop-interrupt; once the device logs
the interrupt it left out, the host injects an io-error as a signal; the
guest's reads carry on past the dropped interrupt (the next interrupt on
the queue delivers its completion), see that error and 20 good reads.
Mode replace: the guest writes, syncs and reads back files in a loop
while the host replaces its disk's program (device-replace, the same
atoll-virtio-blk) three times: every answer is {}, each replacement sends
DEVICE_REPLACED, and the guest sees no I/O error and no corrupt file.
Usage: guest-faults.py check|replace ATOLL BLK (skips, 77, without the
guest kit)."""
import os
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "guest-blk"))
import guest_blk as gb  # noqa: E402
from harness import Qmp  # noqa: E402

CMD = ("r(){ while [ ! -e /tmp/s ];do dd if=/dev/vda of=/dev/null bs=4k "
       "count=1 skip=$1 iflag=direct 2>/dev/null||touch /tmp/e;done;};"
       "t(){ g=0;i=0;while [ $i -lt 5000 ];do if dd if=/dev/vda of=/dev/null "
       "bs=4k count=1 skip=$((i%64)) iflag=direct 2>/dev/null;then "
       "[ -e /tmp/e ]&&g=$((g+1));else touch /tmp/e;fi;[ $g -ge 20 ]&&break;"
       "i=$((i+1));done;echo ATOLL-F $1=$g;rm -f /tmp/e;};"
       "echo ATOLL-F ioerr;t a;r 100 & r 200 & echo ATOLL-F drop;t b;"
       "touch /tmp/s;wait;echo ATOLL-F ioerr=$(dmesg|grep -v 'command line'|grep -c -i 'i/o error')")


def check(atoll, kit, tmp):
    disk, qmp = os.path.join(tmp, "f.img"), os.path.join(tmp, "f.qmp")
    gb.make_disk(disk, 16)
    gb.manifest(os.path.join(tmp, "f.yaml"), kit, disk, CMD,
                extra=f"qmp: {qmp}\n", restart="never")
    steps, answers = [], []
    cond = threading.Condition()

    def on_line(line):
        step = {"ATOLL-F ioerr": "io-error", "ATOLL-F drop": "drop-interrupt"
                }.get(line.strip())
        if "fault: interrupt of queue" in line and "dropped" in line:
            step = "io-error"      # the signal that ends phase b
        if step:
            with cond:
                steps.append(step)
                cond.notify()

    def injector():
        q = None
        for n in range(3):
            with cond:
                if not cond.wait_for(lambda: len(steps) > n, gb.TIMEOUT):
                    return
                kind = steps[n]
            if not q:
                q = Qmp(qmp)
                q.execute("qmp_capabilities")
            answers.append(q.execute("inject-fault",
                                     {"id": "disk0", "kind": kind}))

    th = threading.Thread(target=injector, daemon=True)
    th.start()
    rc, lines = gb.run([atoll, "-v", "run", os.path.join(tmp, "f.yaml")],
                       on_line=on_line, timeout=min(gb.TIMEOUT, 300))
    with cond:
        steps.extend(["-"] * 3)
        cond.notify()
    th.join(10)
    v = gb.values(lines, "ATOLL-F")
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0")
    if answers != [{"return": {}}] * 3:
        problems.append(f"inject-fault answered {answers}")
    for phase, what in (("a", "io-error"), ("b", "drop-interrupt")):
        if v.get(phase) != "20":
            problems.append(f"after the {what}: {v.get(phase)} good reads "
                            "after the error, wanted 20")
    if int(v.get("ioerr", "0")) < 2:
        problems.append(f"the guest kernel logged {v.get('ioerr')} I/O "
                        "errors, wanted 2")
    if not any("fault: interrupt of queue" in l and "dropped" in l
               for l in lines):
        problems.append("the device never left an interrupt out")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: injected I/O errors seen by the guest (kernel log: "
          f"{v['ioerr']}), an interrupt dropped and its completion delivered "
          "later; 20 good reads after each")
    return 0


# Each round: a file of random data, copied with O_DIRECT to a block of the
# disk, synced, read back and compared.
REPLACE_CMD = ("echo ATOLL-F replace;e=0;b=0;i=0;while [ $i -lt 200 ];do "
               "dd if=/dev/urandom of=/tmp/p bs=64k count=1 2>/dev/null;"
               "dd if=/tmp/p of=/dev/vda bs=64k seek=$((i%32)) count=1 "
               "oflag=direct conv=notrunc,fsync 2>/dev/null||e=$((e+1));"
               "x=$(sha256sum </tmp/p|cut -c1-64);y=$(dd if=/dev/vda bs=64k "
               "skip=$((i%32)) count=1 iflag=direct 2>/dev/null|sha256sum|"
               "cut -c1-64);[ $x = $y ]||b=$((b+1));"
               "i=$((i+1));done;"
               "echo ATOLL-F rounds=$i err=$e bad=$b "
               "ioerr=$(dmesg|grep -v 'command line'|grep -c -i 'i/o error')")


def replace(atoll, kit, tmp):
    disk, qmp = os.path.join(tmp, "p.img"), os.path.join(tmp, "p.qmp")
    blk = sys.argv[3]
    gb.make_disk(disk, 16)
    gb.manifest(os.path.join(tmp, "p.yaml"), kit, disk, REPLACE_CMD,
                extra=f"qmp: {qmp}\n", restart="never")
    ready, answers, events = threading.Event(), [], []

    def replacer():
        if not ready.wait(gb.TIMEOUT):
            return
        q = Qmp(qmp)
        q.execute("qmp_capabilities")
        for _ in range(3):
            answers.append(q.execute("device-replace",
                                     {"id": "disk0", "binary": blk}))
        events.extend(e for e in q.events if e["event"] == "DEVICE_REPLACED")

    th = threading.Thread(target=replacer, daemon=True)
    th.start()
    rc, lines = gb.run([atoll, "-v", "--allow-binary", "run",
                        os.path.join(tmp, "p.yaml")],
                       on_line=lambda l: l.strip() == "ATOLL-F replace" and
                       ready.set(), timeout=min(gb.TIMEOUT, 300))
    ready.set()
    th.join(10)
    v = gb.values(lines, "ATOLL-F")
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0")
    if answers != [{"return": {}}] * 3:
        problems.append(f"device-replace answered {answers}")
    if len(events) != 3:
        problems.append(f"{len(events)} DEVICE_REPLACED events, wanted 3")
    if v.get("rounds") != "200":
        problems.append(f"the guest's loop did {v.get('rounds')} rounds")
    for k in ("err", "bad", "ioerr"):
        if v.get(k) != "0":
            problems.append(f"{k}={v.get(k)} in the guest, wanted 0")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS: disk0 replaced 3 times while the guest wrote, synced and "
          "verified 200 blocks: no I/O error, no bad block; downtimes "
          f"{[e['data']['downtime-ms'] for e in events]} ms")
    return 0


if __name__ == "__main__":
    sys.exit(gb.guest_main(__doc__, "atoll-faults-",
                           {"check": check, "replace": replace}))
