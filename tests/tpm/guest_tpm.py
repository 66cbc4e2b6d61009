#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""atoll-tpm in a Linux guest (riscv-virt, 2 harts) under `atoll run`:
Linux's stock tpm_tis binds to the device-tree node (tcg,tpm-tis-mmio) and
logs the TPM's version; guest-tpm.c, built here with the guest kit's cross
compiler (riscv64-linux-gnu-gcc -static) and handed to the guest as the
contents of a virtio-blk disk (cat /dev/vda > /tmp/t: the initramfs stays
the kit's), sends raw commands to /dev/tpm0.

  guest_tpm.py tpm2 ATOLL SRC_DIR   boot 1: GetRandom, PCR 16 extend (the
                                    new value must be SHA-256(old || digest),
                                    computed here), NV_DefineSpace + NV_Write;
                                    boot 2 on the same state file: NV_Read
                                    gives the same bytes
  guest_tpm.py tpm12 ATOLL SRC_DIR  version: 1.2: GetRandom, Extend (SHA-1)
  guest_tpm.py restart ATOLL SRC_DIR  NV written, then GetRandom in a loop
                                    while the host SIGKILLs atoll-tpm; the
                                    launcher restarts it on the same state
                                    file: at most the command in flight
                                    fails, later ones succeed, NV_Read
                                    gives the bytes written before the kill
  guest_tpm.py bench ATOLL SRC_DIR  (suite bench) guest-side latency of
                                    GetRandom and PCR_Extend, printed

Skips (77) with a reason without the guest kit, OpenSBI, the cross
compiler, atoll-tpm, or user namespaces for the sandbox.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "guest"))
sys.path.insert(0, os.path.join(here, "..", "guest-blk"))
from guest_boot import SKIP, guest_dir  # noqa: E402
from guest_blk import (guest_unavailable, kill_device, run,  # noqa: E402
                       values, write_manifest)

NV_DATA = b"atoll nv 0123456"
DIGEST2 = b"atoll".ljust(32, b"\0")
DIGEST12 = b"atoll".ljust(20, b"\0")


def build_guest_program(src, out):
    """The program, padded to whole sectors as a disk image."""
    cc = shutil.which("riscv64-linux-gnu-gcc")
    if not cc:
        return "riscv64-linux-gnu-gcc not installed"
    r = subprocess.run([cc, "-static", "-O2", "-Wall", "-Wextra", "-Werror",
                        "-o", out + ".elf", os.path.join(src, "guest-tpm.c")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        return "cannot build guest-tpm.c: " + r.stderr
    with open(out + ".elf", "rb") as f:
        data = f.read()
    with open(out, "wb") as f:
        f.write(data + b"\0" * (-len(data) % 512))
    return None


def guest_cmd(mode):
    return ("mkdir -p /tmp; cat /dev/vda > /tmp/t; chmod +x /tmp/t; "
            f"/tmp/t {mode}; dmesg | grep -i tpm")


def devices(disk, state, version, args="", restart="never"):
    return f"""  - name: prog
    kind: virtio-blk
    path: {disk}
    readonly: true
    restart: never
  - name: tpm0
    kind: tpm
    state: {state}
    version: "{version}"
    restart: {restart}
{args}"""


def boot(atoll, kit, tmp, mode, version, device_args=None):
    """device_args: atoll-tpm's own arguments (needs --allow-binary)."""
    yaml = os.path.join(tmp, f"tpm-{mode.split()[0]}.yaml")
    extra = f"    args: [{', '.join(device_args)}]\n" if device_args else ""
    write_manifest(yaml, kit, guest_cmd(mode),
                   devices(os.path.join(tmp, "prog.img"),
                           os.path.join(tmp, "tpm.state"), version, extra))
    grant = ["--allow-binary"] if device_args else []
    rc, lines = run([atoll] + grant + ["run", yaml])
    return rc, lines, values(lines, "ATOLL-TPM")


def tis_line(lines, version):
    want = re.compile(r"tpm_tis \S+: %s TPM \(device-id" % re.escape(version))
    return next((l.strip() for l in lines if want.search(l)), None)


def check_tpm2(atoll, kit, tmp):
    problems = []
    rc, lines, v = boot(atoll, kit, tmp, "first", "2")
    probe = tis_line(lines, "2.0")
    if rc != 0:
        problems.append(f"boot 1: exit status {rc}, wanted 0")
    if not probe:
        problems.append("no 'tpm_tis ...: 2.0 TPM' in dmesg")
    if len(v.get("random", "")) != 32:
        problems.append(f"GetRandom: {v.get('random')!r}")
    old = bytes.fromhex(v.get("pcr_old", "")) if v.get("pcr_old") else b""
    want = hashlib.sha256(old + DIGEST2).hexdigest() if len(old) == 32 else "?"
    if v.get("pcr_new") != want:
        problems.append(f"PCR 16 after extend is {v.get('pcr_new')}, "
                        f"wanted SHA-256(old || digest) = {want}")
    if v.get("nv_write") != "ok":
        problems.append(f"NV define/write: {v}")
    rc, lines, v2 = boot(atoll, kit, tmp, "second", "2")
    if rc != 0:
        problems.append(f"boot 2: exit status {rc}, wanted 0")
    if v2.get("nv_read") != NV_DATA.hex():
        problems.append(f"boot 2 NV_Read: {v2.get('nv_read')!r}, wanted "
                        f"{NV_DATA.hex()}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: {probe}; random {v['random']}; PCR 16 {old.hex()} -> "
          f"{v['pcr_new']}; NV read back in boot 2: {v2['nv_read']}")
    return 0


def check_tpm12(atoll, kit, tmp):
    rc, lines, v = boot(atoll, kit, tmp, "tpm12", "1.2")
    probe = tis_line(lines, "1.2")
    want = hashlib.sha1(b"\0" * 20 + DIGEST12).hexdigest()
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0")
    if not probe:
        problems.append("no 'tpm_tis ...: 1.2 TPM' in dmesg")
    if len(v.get("random", "")) != 32:
        problems.append(f"TPM_GetRandom: {v.get('random')!r}")
    if v.get("pcr_new") != want:
        problems.append(f"TPM_Extend gave {v.get('pcr_new')}, wanted {want}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: {probe}; random {v['random']}; PCR 16 -> {v['pcr_new']}")
    return 0


LOOP = 3000


def check_restart(atoll, kit, tmp):
    import threading
    qmp = os.path.join(tmp, "r.qmp")
    yaml = os.path.join(tmp, "r.yaml")
    write_manifest(yaml, kit, guest_cmd(f"loop {LOOP}"),
                   devices(os.path.join(tmp, "prog.img"),
                           os.path.join(tmp, "tpm.state"), "2",
                           restart="{policy: on-failure, max: 5, "
                           "backoff-ms: 50}"), extra=f"qmp: {qmp}\n")
    killed, restarts, started = [], [], threading.Event()

    def killer():
        if started.wait(300):
            restarts.append(kill_device(qmp, "tpm0", 1, 0.5, killed))

    th = threading.Thread(target=killer, daemon=True)
    th.start()
    rc, lines = run([atoll, "-v", "run", yaml],
                    on_line=lambda l: "loop=start" in l and started.set())
    started.set()
    th.join(5)
    v = values(lines, "ATOLL-TPM")
    ok, failed = int(v.get("ok", "0")), int(v.get("failed", "-1"))
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0")
    if len(killed) != 1:
        problems.append(f"killed the device {len(killed)} times, wanted 1")
    if v.get("nv_write") != "ok":
        problems.append(f"NV define/write before the loop: {v}")
    if failed < 0 or failed > 1 or ok + failed != LOOP:
        problems.append(f"{ok} GetRandom ok, {failed} failed (first error "
                        f"{v.get('first_err')}): wanted at most the one in "
                        "flight to fail")
    if v.get("last_ok") != str(LOOP - 1):
        problems.append(f"the last GetRandom failed ({v.get('last_ok')})")
    if v.get("nv_read") != NV_DATA.hex():
        problems.append(f"NV_Read after the restart: {v.get('nv_read')!r}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: atoll-tpm SIGKILLed during {LOOP} GetRandom (restarts "
          f"{restarts}); {failed} command(s) failed (first error "
          f"{v.get('first_err')}), the rest succeeded; NV read back after "
          "the restart")
    return 0


BENCH_RUNS = int(os.environ.get("ATOLL_TPM_BENCH_RUNS", "200"))


def start_swtpm(tmp, sock):
    """swtpm (TPM 2.0) on a unix socket; it ends when QEMU disconnects."""
    sdir = os.path.join(tmp, "swtpm")
    os.makedirs(sdir, exist_ok=True)
    sw = subprocess.Popen(["swtpm", "socket", "--tpm2", "--tpmstate",
                           f"dir={sdir}", "--ctrl",
                           f"type=unixio,path={sock}", "--terminate"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    return sw


def qemu_argv(kit, tmp, cmd, sock, machine="virt"):
    return ["qemu-system-riscv64", "-M", machine, "-smp", "2", "-m", "256M",
            "-nographic", "-bios", "default", "-kernel", f"{kit}/Image",
            "-initrd", f"{kit}/initramfs.cpio.gz", "-append",
            f'console=ttyS0 quiet atoll.run="{cmd}"',
            "-drive", f"file={tmp}/prog.img,format=raw,if=none,id=d0,"
            "readonly=on", "-device", "virtio-blk-pci,drive=d0",
            "-chardev", f"socket,id=chrtpm,path={sock}",
            "-tpmdev", "emulator,id=tpm0,chardev=chrtpm",
            "-device", "tpm-tis-device,tpmdev=tpm0"]


def qemu_swtpm(kit, tmp, cmd):
    """QEMU 7.2's riscv virt takes tpm-tis-device on its platform bus
    (mapped at the bus's base, 0x4000000) but writes no device-tree node
    for it, so Linux never finds it: the machine's own tree is dumped
    (dumpdtb), given a tcg,tpm-tis-mmio node there (fdtput) and passed
    back with -dtb. swtpm (TPM 2.0) serves it. Returns (status, lines,
    why-not)."""
    for tool in ("qemu-system-riscv64", "swtpm", "fdtput"):
        if not shutil.which(tool):
            return None, [], f"{tool} not installed"
    sock = os.path.join(tmp, "swtpm.sock")
    dtb = os.path.join(tmp, "qemu-virt.dtb")
    node = "/platform-bus@4000000/tpm@0"
    sw = start_swtpm(tmp, sock)
    try:
        subprocess.run(qemu_argv(kit, tmp, cmd, sock,
                                 f"virt,dumpdtb={dtb}"),
                       capture_output=True, timeout=60)
    finally:
        sw.kill()
        sw.wait()
    for args in (["-c", dtb, node],
                 ["-t", "s", dtb, node, "compatible", "tcg,tpm-tis-mmio"],
                 ["-t", "x", dtb, node, "reg", "0", "5000"]):
        r = subprocess.run(["fdtput"] + args, capture_output=True, text=True)
        if r.returncode != 0:
            return None, [], f"cannot add the TPM node: {r.stderr.strip()}"
    if os.path.exists(sock):      # swtpm may have removed it on exit
        os.unlink(sock)
    sw = start_swtpm(tmp, sock)
    try:
        rc, lines = run(qemu_argv(kit, tmp, cmd, sock) + ["-dtb", dtb],
                        echo=False)
    finally:
        sw.kill()
        sw.wait()
    return rc, lines, None


def accesses(lines):
    """(commands, reads, writes) from atoll-tpm's exit log line."""
    for line in lines:
        m = re.search(r"(\d+) commands, (\d+) register reads, (\d+) writes",
                      line)
        if m:
            return tuple(int(x) for x in m.groups())
    return None


def bench(atoll, kit, tmp):
    """Three rows in one run: atoll-tpm as it ships (tpmGo waits up to
    50 ms for the command, so the driver's first status poll finds the
    response), atoll-tpm completing every command from its worker's
    eventfd (--inline-wait-ms=0), and QEMU 7.2 + swtpm. Also the register
    reads and writes per command, which with bench-generic-mmio's
    round trip give the cost of serving TIS from the device process."""
    cmd = guest_cmd(f"bench {BENCH_RUNS}")
    rows, ok = [], True
    for name, args in (("atoll-tpm (tpmGo waits <= 50 ms)", None),
                       ("atoll-tpm (--inline-wait-ms=0)",
                        ["--inline-wait-ms=0"])):
        open(os.path.join(tmp, "tpm.state"), "wb").close()
        rc, lines, v = boot(atoll, kit, tmp, f"bench {BENCH_RUNS}", "2", args)
        rows.append((name, v, accesses(lines)))
        if rc != 0 or "extend_med_us" not in v:
            ok = False
            print(f"# {name}: status {rc} {v}")
    qrc, qlines, why = qemu_swtpm(kit, tmp, cmd)
    rows.append(("qemu 7.2 TCG + swtpm (DT by hand)", values(qlines, "ATOLL-TPM"),
                 None))
    print(f"# guest-side latency of one TPM 2.0 command (write + read of "
          f"/dev/tpm0, Linux 6.1 tpm_tis polling, no interrupt), "
          f"{BENCH_RUNS} runs each, same kernel, initrd and guest program, "
          "same run")
    print(f"{'':36}{'GetRandom med/p99 us':>22}{'PCR_Extend med/p99 us':>24}"
          f"{'reads/cmd':>11}{'writes/cmd':>11}")
    for name, v, acc in rows:
        if name.startswith("qemu") and why:
            print(f"{name:36}  not run: {why}")
            continue
        g = f"{v.get('getrandom_med_us', '?')}/{v.get('getrandom_p99_us', '?')}"
        e = f"{v.get('extend_med_us', '?')}/{v.get('extend_p99_us', '?')}"
        r = w = "-"
        if acc and acc[0]:
            r, w = f"{acc[1] / acc[0]:.1f}", f"{acc[2] / acc[0]:.1f}"
        print(f"{name:36}{g:>22}{e:>24}{r:>11}{w:>11}")
    if not why and "getrandom_med_us" not in rows[-1][1]:
        print(f"# qemu run gave no figures (status {qrc}):")
        for l in qlines[-15:]:
            print("#   " + l)
    return 0 if ok else 1


MODES = {"tpm2": check_tpm2, "tpm12": check_tpm12, "restart": check_restart,
         "bench": bench}


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in MODES:
        print(__doc__)
        return 2
    mode, atoll, src = sys.argv[1:]
    why = guest_unavailable((atoll,))
    if why:
        print(f"SKIP: {why}")
        return SKIP
    kit = guest_dir()
    with tempfile.TemporaryDirectory(prefix="atoll-tpm-") as tmp:
        os.chmod(tmp, 0o755)
        why = build_guest_program(src, os.path.join(tmp, "prog.img"))
        if why:
            print(f"SKIP: {why}")
            return SKIP
        # The fresh state as an operator makes it: `atoll tpm-init`.
        init = subprocess.run([atoll, "tpm-init",
                               os.path.join(tmp, "tpm.state")],
                              capture_output=True, text=True)
        if init.returncode != 0:
            print(f"FAIL: atoll tpm-init: {init.stderr.strip()}")
            return 1
        return MODES[mode](atoll, kit, tmp)


if __name__ == "__main__":
    sys.exit(main())
