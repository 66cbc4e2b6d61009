#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`atoll check`: accepts a valid manifest, refuses a bad one with the
file, line and field, and starts nothing in either case."""
import os
import shutil
import stat
import subprocess
import tempfile

from harness import ATOLL, check

d = tempfile.mkdtemp(prefix="atoll-check-")
good = os.path.join(d, "good.yaml")
bad = os.path.join(d, "bad.yaml")
with open(good, "w") as f:
    f.write("machine: {type: none}\nmemory: {size: 64M}\n")
with open(bad, "w") as f:
    f.write("machine: {type: none}\nmemory:\n  size: 64M\n  hugepage: true\n")

r = subprocess.run([ATOLL, "check", good], capture_output=True, text=True)
check(r.returncode == 0 and "OK" in r.stdout and "64 MiB" in r.stdout,
      "a valid manifest passes: %r" % r.stdout.strip())
r = subprocess.run([ATOLL, "check", bad], capture_output=True, text=True)
check(r.returncode == 1, "a bad manifest fails with status 1")
check(bad + ":4:" in r.stderr and "memory.hugepage" in r.stderr and
      "hugepages" in r.stderr,
      "the error names file, line, field and the likely intended key: %r"
      % r.stderr.strip())
r = subprocess.run([ATOLL, "check"], capture_output=True, text=True)
check(r.returncode == 2 and "Usage" in r.stderr, "usage error without a file")
r = subprocess.run([ATOLL, "--help"], capture_output=True, text=True)
check(r.returncode == 0 and "sandbox-report" in r.stdout, "--help")
check(all(f in r.stdout for f in ("--allow-unsandboxed", "--allow-binary",
                                  "--allow-block-device", "--image-dir",
                                  "--allow-usb-host")),
      "--help lists the operator's flags")

# What only the operator may grant: refused without the flag, by check and
# run alike, with file, line, field and the flag; accepted with it.
outside = tempfile.mkdtemp(prefix="atoll-outside-")
secret = os.path.join(outside, "secret")
for f in (secret, os.path.join(d, "kernel"), os.path.join(d, "disk.img")):
    with open(f, "w") as fh:
        fh.write("x")
os.symlink("/etc/shadow", os.path.join(d, "shadow"))
os.symlink(secret, os.path.join(d, "escape"))
NONE = "machine: {type: none}\nmemory: {size: 16M}\n"
BOOT = "machine: {type: riscv-virt}\nmemory: {size: 64M}\nboot:\n"
DISK = NONE + "devices:\n  - name: d0\n    kind: virtio-blk\n    path: %s\n"


def block_device():
    for name in sorted(os.listdir("/sys/block")):
        p = "/dev/" + name
        if os.path.exists(p) and stat.S_ISBLK(os.stat(p).st_mode):
            return p
    return None


# (what, manifest, where, words, flags that allow it)
cases = [
    ("sandbox: off", NONE + "sandbox: off\n", ":3:10: sandbox:",
     "(allow with --allow-unsandboxed)", ["--allow-unsandboxed"]),
    ("a device's sandbox: off", NONE + "devices:\n  - name: d0\n"
     "    kind: virtio-net\n    sandbox: false\n", ":6:14: devices[0].sandbox:",
     "(allow with --allow-unsandboxed)", ["--allow-unsandboxed"]),
    ("machine.binary", "machine: {type: none, binary: /bin/true}\n",
     ":1:23: machine.binary:", "(allow with --allow-binary)",
     ["--allow-binary"]),
    ("an external device", NONE + "devices:\n  - name: d0\n"
     "    kind: external\n    binary: /bin/true\n", ":6:5: devices[0].binary:",
     "(allow with --allow-binary)", ["--allow-binary"]),
    ("args:", NONE + "devices:\n  - name: d0\n    kind: virtio-net\n"
     "    args: [--x]\n", ":6:5: devices[0].args:",
     "(allow with --allow-binary)", ["--allow-binary"]),
    ("initrd: /etc/shadow", BOOT + "  kernel: kernel\n  initrd: /etc/shadow\n",
     ":5:11: boot.initrd:", '"/etc/shadow" is outside', None),
    ("a file outside the manifest's directory",
     BOOT + "  kernel: %s\n" % secret, ":4:11: boot.kernel:",
     "(allow with --image-dir DIR)", ["--image-dir", outside]),
    ("a disk symlinked to /etc/shadow", DISK % "shadow",
     ":6:11: devices[0].path:", "leads out of", None),
    ("a kernel symlinked out", BOOT + "  kernel: escape\n",
     ":4:11: boot.kernel:", "leads out of", None),
]
dev = block_device()
if dev:
    cases.append(("block device " + dev, DISK % dev + "    readonly: true\n",
                  ":6:11: devices[0].path:",
                  "(allow with --allow-block-device)",
                  ["--allow-block-device"]))
else:
    print("skip: no block device in /sys/block for the block-device case")

for i, (what, text, where, words, allow) in enumerate(cases):
    path = os.path.join(d, "p%d.yaml" % i)
    with open(path, "w") as f:
        f.write(text)
    base = ["--image-dir", "/dev"] if "block device" in what else []
    c = subprocess.run([ATOLL] + base + ["check", path], capture_output=True,
                       text=True)
    check(c.returncode == 1 and (path + where) in c.stderr and
          words in c.stderr, "%s is refused: %r" % (what, c.stderr.strip()))
    r = subprocess.run([ATOLL] + base + ["run", path], capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 1 and r.stderr == c.stderr,
          "atoll run refuses %s with the same message" % what)
    if allow is None:
        continue
    r = subprocess.run([ATOLL] + base + allow + ["check", path],
                       capture_output=True, text=True)
    if "block device" in what and "Permission denied" in r.stderr:
        print("skip: %s is not readable here: %s" % (dev, r.stderr.strip()))
        continue
    check(r.returncode == 0 and "OK" in r.stdout,
          "%s is accepted with %s: %r" % (what, " ".join(allow),
                                          (r.stdout + r.stderr).strip()))
# What atoll run cannot run is refused by check and run alike, by name, at
# its line, whatever the operator grants (kind gpu: the word virtio-gpu is
# too far from it for an edit distance, and is suggested all the same).
ALL = ["--allow-binary", "--allow-unsandboxed", "--allow-block-device"]
unimplemented = [
    ("kind gpu", NONE + "devices:\n  - name: d0\n    kind: gpu\n",
     ":5:11: devices[0].kind:", 'did you mean "virtio-gpu"?'),
    ("machine x86", "machine: {type: x86}\nmemory: {size: 16M}\n",
     ":1:17: machine.type:", "machine type x86 is not implemented yet"),
    ("accel kvm", "machine: {type: none, accel: kvm}\nmemory: {size: 16M}\n",
     ":1:30: machine.accel:", "accel kvm is not implemented yet"),
    ("net backend none", NONE + "devices:\n  - name: n0\n"
     "    kind: virtio-net\n    backend: none\n",
     ":6:14: devices[0].backend:", "backend none is not implemented"),
]
for i, (what, text, where, words) in enumerate(unimplemented):
    path = os.path.join(d, "u%d.yaml" % i)
    with open(path, "w") as f:
        f.write(text)
    c = subprocess.run([ATOLL] + ALL + ["check", path], capture_output=True,
                       text=True)
    check(c.returncode == 1 and (path + where) in c.stderr and
          words in c.stderr, "%s is refused: %r" % (what, c.stderr.strip()))
    r = subprocess.run([ATOLL] + ALL + ["run", path], capture_output=True,
                       text=True, timeout=30)
    check(r.returncode == 1 and r.stderr == c.stderr,
          "atoll run refuses %s with the same message" % what)

# check lists each process with its kind, program and profile.
path = os.path.join(d, "list.yaml")
with open(path, "w") as f:
    f.write(NONE + "devices:\n  - name: n0\n    kind: virtio-net\n"
            "  - name: n1\n    kind: virtio-net\n    sandbox: off\n")
r = subprocess.run([ATOLL, "--allow-unsandboxed", "check", path],
                   capture_output=True, text=True)
lines = r.stdout.splitlines()
check(r.returncode == 0 and len(lines) == 4 and
      lines[1].startswith("  mem: kind mem, program /") and
      lines[1].endswith("/atoll-mem, profile mem") and
      lines[2].startswith("  n0: kind virtio-net, program /") and
      lines[2].endswith("/atoll-virtio-net, profile virtio-net") and
      lines[3].endswith("/atoll-virtio-net, sandbox off"),
      "check lists kind, program and profile: %r" % r.stdout)
shutil.rmtree(d)
shutil.rmtree(outside)
print("check command checks passed")
