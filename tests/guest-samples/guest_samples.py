#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The SDK samples (samples/) as a vendor ships them: built out of tree
against a staged install of the SDK (tests/sdk/build-samples.sh), run by
`atoll run` as `external` devices under the external sandbox profile, in a
Linux guest (riscv-virt, 2 harts).

  guest_samples.py rng ATOLL BUILD SAMPLES CC SANITIZE
      samples/virtio-rng with --seed: the guest's virtio-rng driver becomes
      /dev/hwrng's source, and 64 bytes read from /dev/hwrng are the seeded
      stream's (the kernel takes a few bytes first, so they are found in
      the stream, at the offset printed)
  guest_samples.py rtc ATOLL BUILD SAMPLES CC SANITIZE
      samples/goldfish-rtc through atoll-cpu's generic proxy: the stock
      rtc-goldfish driver binds (its probe message is in dmesg), its
      interrupt is requested, and /sys/class/rtc/rtc0/since_epoch is the
      host's time (within TOLERANCE seconds, a value check: the boot is not
      timed)

Each first checks (atoll sandbox-report) that the sample runs under the
external profile; a call the profile lacks would kill it, which fails the
test. Skips (77) with a reason in a sanitizer build (an uninstrumented
out-of-tree program cannot load the instrumented SDK), without the guest
kit, OpenSBI or user namespaces for the sandbox.
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "guest"))
sys.path.insert(0, os.path.join(here, "..", "guest-blk"))
from guest_boot import SKIP, guest_dir  # noqa: E402
from guest_blk import (guest_unavailable, run, values,  # noqa: E402
                       write_manifest)

BUILD_SAMPLES = os.path.join(here, "..", "sdk", "build-samples.sh")
SEED = 0x5eed1234
NBYTES = 64
WINDOW = 1 << 20      # where in the stream the guest's bytes may start
TOLERANCE = 10        # seconds between the guest's RTC and the host clock


def splitmix64_stream(seed, n):
    """The first n bytes samples/virtio-rng sends for --seed=seed."""
    out = bytearray()
    state = seed
    mask = (1 << 64) - 1
    while len(out) < n:
        state = (state + 0x9e3779b97f4a7c15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & mask
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & mask
        out += (z ^ (z >> 31)).to_bytes(8, "little")
    return bytes(out[:n])


def device_entry(name, program, args=()):
    lines = [f"  - name: {name}", "    kind: external",
             f"    program: {program}", "    restart: never"]
    if args:
        lines.append("    args: [" + ", ".join(args) + "]")
    return "\n".join(lines) + "\n"


def boot(atoll, kit, tmp, bindir, devices, cmd, on_line=None):
    """The program lies beneath --device-dir, the one grant a vendor's
    device needs (its args: go to that program: no --allow-binary)."""
    yaml = os.path.join(tmp, "samples.yaml")
    write_manifest(yaml, kit, cmd, devices)
    grants = ["--device-dir", bindir]
    # The sample (the manifest's last process) must run sandboxed, under
    # the external profile.
    rc, report = run([atoll] + grants + ["sandbox-report", yaml],
                     echo=False, timeout=60)
    profiles = [l.split()[-1] for l in report if l.strip().startswith(
        "profile ")]
    if rc != 0 or not profiles or \
            not profiles[-1].endswith("/external.yaml"):
        print("\n".join(report))
        print("FAIL: the sample does not run under the external profile")
        sys.exit(1)
    return run([atoll] + grants + ["run", yaml], on_line=on_line)


RNG_CMD = (f"echo ATOLL-RNG current=$(cat /sys/class/misc/hw_random/"
           f"rng_current) bytes=$(head -c {NBYTES} /dev/hwrng | "
           "od -An -tx1 -v | tr -d ' \\n')")


def check_rng(atoll, kit, tmp, bindir):
    rc, lines = boot(atoll, kit, tmp, bindir, device_entry(
        "rng0", os.path.join(bindir, "atoll-sample-rng"),
        [f"--seed={SEED}"]), RNG_CMD)
    v = values(lines, "ATOLL-RNG")
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (poweroff)")
    if not v.get("current", "").startswith("virtio_rng"):
        problems.append(f"/dev/hwrng's source is {v.get('current')!r}, "
                        "wanted virtio_rng.N")
    got = bytes.fromhex(v.get("bytes", "")) if re.fullmatch(
        r"[0-9a-f]*", v.get("bytes", "")) else b""
    at = splitmix64_stream(SEED, WINDOW).find(got) if len(got) == NBYTES \
        else -1
    if len(got) != NBYTES:
        problems.append(f"read {len(got)} bytes from /dev/hwrng, "
                        f"wanted {NBYTES}")
    elif at < 0:
        problems.append(f"/dev/hwrng's {NBYTES} bytes are not in the "
                        f"first {WINDOW} bytes of the seed's stream: "
                        f"{got.hex()}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: /dev/hwrng gave {NBYTES} bytes of the sample's stream "
          f"(seed {SEED:#x}, at offset {at})")
    return 0


RTC_CMD = ("echo ATOLL-RTC since_epoch=$(cat /sys/class/rtc/rtc0/"
           "since_epoch) date=$(date +%s) irqs=$(grep -c rtc "
           "/proc/interrupts); dmesg | grep -i goldfish")


def check_rtc(atoll, kit, tmp, bindir):
    host = {}

    def stamp(line):
        # The host's clock when the guest printed its RTC: the two are
        # compared as values, whatever the boot took.
        if line.startswith("ATOLL-RTC "):
            host["t"] = time.time()
    rc, lines = boot(atoll, kit, tmp, bindir, device_entry(
        "rtc0", os.path.join(bindir, "atoll-sample-goldfish-rtc")),
        RTC_CMD, on_line=stamp)
    v = values(lines, "ATOLL-RTC")
    problems = []
    if rc != 0:
        problems.append(f"exit status {rc}, wanted 0 (poweroff)")
    probe = [l for l in lines if re.search(
        r"goldfish_rtc \S+: registered as rtc0", l)]
    if not probe:
        problems.append("no 'goldfish_rtc ...: registered as rtc0' in "
                        "dmesg: the driver did not bind")
    if v.get("irqs", "0") == "0":
        problems.append("no rtc line in /proc/interrupts: the driver "
                        "has no interrupt")
    since = v.get("since_epoch", "")
    if not since.isdigit() or "t" not in host:
        problems.append(f"since_epoch {since!r}: no RTC value")
    elif abs(int(since) - host["t"]) > TOLERANCE:
        problems.append(f"the guest's RTC says {since}, the host "
                        f"{host['t']:.0f}: more than {TOLERANCE}s apart")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"PASS: rtc-goldfish bound ({probe[0].strip()}); since_epoch "
          f"{since} vs host {host['t']:.0f}; guest date {v.get('date')}")
    return 0


MODES = {"rng": check_rng, "rtc": check_rtc}


def main():
    if len(sys.argv) != 7 or sys.argv[1] not in MODES:
        print(__doc__)
        return 2
    mode, atoll, build, samples, cc, sanitize = sys.argv[1:]
    if sanitize != "none":
        print(f"SKIP: sanitizer build (b_sanitize={sanitize}): an "
              "uninstrumented out-of-tree sample cannot load the "
              "instrumented SDK libraries")
        return SKIP
    why = guest_unavailable((atoll,))
    if why:
        print(f"SKIP: {why}")
        return SKIP
    kit = guest_dir()
    with tempfile.TemporaryDirectory(prefix="atoll-samples-") as tmp:
        os.chmod(tmp, 0o755)
        sdk = os.path.join(tmp, "sdk")
        b = subprocess.run([BUILD_SAMPLES, build, samples, sdk, cc,
                            "virtio-rng", "goldfish-rtc"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True)
        print(b.stdout, end="")
        if b.returncode != 0:
            print("FAIL: the samples do not build against the staged SDK")
            return 1
        # The sandbox reads the program's folder: keep it traversable.
        os.chmod(sdk, 0o755)
        return MODES[mode](atoll, kit, tmp, os.path.join(sdk, "bin"))


if __name__ == "__main__":
    sys.exit(main())
