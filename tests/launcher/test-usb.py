#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Kind usb from the launcher's side, atoll-testdev standing in for
atoll-usb (binary:): the command line it is started with (one --device per
port, in order, the state memfd as fd 4, a storage image as fd 5); QMP send-key and input-send-event
reach the VM's keyboard and tablet, each the first device in manifest
order that has one, a usb controller or a virtio-input device, unless
input-send-event names a device; a host
device port only with --allow-usb-host; a restart reconnects to a usbredir
peer and gets the same state memfd; `atoll check` on examples/usb.yaml.
"""
import os
import signal
import socket
import stat
import subprocess
import tempfile

from harness import ATOLL, TESTDEV_FLAGS, Vm, check, wait_for

SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
BASE = """
machine: {type: none, binary: "{TESTDEV}"}
memory: {size: 16M}
sandbox: off
devices:
"""
USB = """  - name: u0
    kind: usb
    binary: "{TESTDEV}"
    ports:
      - type: tablet
      - {type: keyboard, vendor: 0x1234, serial: K1}
      - {type: storage, image: %s, readonly: true}
"""
KBD = """  - name: k1
    kind: virtio-input
    binary: "{TESTDEV}"
    type: keyboard
"""
KEY_A = "1 30 1, 0 0 0, 1 30 0, 0 0 0"   # EV_KEY KEY_A down, SYN, up, SYN

d = tempfile.mkdtemp(prefix="atoll-usb-")
image = os.path.join(d, "usb.img")
with open(image, "wb") as f:
    f.write(b"\0" * 4096)
FLAGS = TESTDEV_FLAGS + ("--image-dir", d)


def inputs(vm, name):
    tag = "atoll-testdev %s: input: " % name
    return [l.split(tag, 1)[1] for l in vm.stderr().splitlines() if tag in l]


def cmdline(pid):
    with open("/proc/%d/cmdline" % pid, "rb") as f:
        return [a.decode() for a in f.read().split(b"\0") if a]


def routing(text, keys_to, pointer_to, other):
    vm = Vm(BASE + text, flags=FLAGS)
    try:
        vm.connect()
        ps = vm.wait_running(["mem", "cpu", "u0", "k1"])
        r = vm.qmp.execute("send-key", {"keys": [{"type": "qcode",
                                                  "data": "a"}]})
        check(r == {"return": {}}, "send-key answered %r" % r)
        wait_for(lambda: KEY_A in inputs(vm, keys_to), 5,
                 "key a reaching %s" % keys_to)
        r = vm.qmp.execute("input-send-event", {"events": [
            {"type": "abs", "data": {"axis": "x", "value": 100}},
            {"type": "btn", "data": {"button": "left", "down": True}}]})
        check(r == {"return": {}}, "input-send-event answered %r" % r)
        wait_for(lambda: "3 0 100, 1 272 1, 0 0 0" in inputs(vm, pointer_to),
                 5, "abs x 100 and the left button reaching %s" % pointer_to)
        r = vm.qmp.execute("input-send-event", {"events": [
            {"type": "key", "data": {"key": {"type": "qcode", "data": "b"},
                                     "down": True}}]})
        wait_for(lambda: "1 48 1, 0 0 0" in inputs(vm, keys_to), 5,
                 "input-send-event's key b reaching %s" % keys_to)
        if other:
            check(inputs(vm, other) == [], "%s got nothing: %r" %
                  (other, inputs(vm, other)))
        return vm, ps
    except BaseException:
        vm.kill()
        raise


# 1. The usb controller first: it has the keyboard and the tablet; the
#    virtio-input keyboard after it gets nothing.
vm, ps = routing(USB % image + KBD, "u0", "u0", "k1")
try:
    args = cmdline(ps["u0"]["pid"])
    check(args[-4:] == ["--state-fd=4", "--device=tablet",
                        "--device=keyboard,vendor=0x1234,serial=K1",
                        "--device=storage,fd=5,readonly"],
          "atoll-usb's command line: a --device per port, in order: %r"
          % args)
    check("atoll-testdev: fds: 1 2 3 4 5\n" in vm.stderr(),
          "the usb process is granted the bus, the state memfd (fd 4) and "
          "the image (fd 5) only")
    # input-send-event's device: names the one to type on
    r = vm.qmp.execute("input-send-event", {"device": "k1", "events": [
        {"type": "key", "data": {"key": {"type": "qcode", "data": "c"},
                                 "down": True}}]})
    check(r == {"return": {}}, "input-send-event to device k1: %r" % r)
    wait_for(lambda: "1 46 1, 0 0 0" in inputs(vm, "k1"), 5,
             "key c reaching k1, named by device")
    r = vm.qmp.execute("input-send-event", {"device": "k1", "events": [
        {"type": "abs", "data": {"axis": "y", "value": 5}}]})
    check("has no tablet" in r.get("error", {}).get("desc", ""),
          "a pointer event to a keyboard is refused: %r" % r)
    r = vm.qmp.execute("input-send-event", {"device": "nope", "events": [
        {"type": "abs", "data": {"axis": "y", "value": 5}}]})
    check("no device 'nope'" in r.get("error", {}).get("desc", ""),
          "an unknown device is refused: %r" % r)
finally:
    vm.kill()

# 2. A virtio-input keyboard first takes the keys; the controller after it
#    still has the VM's only tablet.
vm, ps = routing(KBD + USB % image, "k1", "u0", None)
try:
    check(all(KEY_A not in l for l in inputs(vm, "u0")),
          "the usb keyboard after the virtio-input one gets no send-key")
finally:
    vm.kill()

# 3. A restart gets what a start gets, anew: a new connection to the
#    usbredir peer, and the same state memfd (a restarted controller
#    finds its state).
peer_path = os.path.join(d, "redir.sock")
peer = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
peer.bind(peer_path)
peer.listen(4)
peer.settimeout(10)
vm = Vm(BASE + """  - name: u0
    kind: usb
    binary: "{TESTDEV}"
    restart: {policy: on-failure, backoff-ms: 10}
    ports:
      - {type: redir, socket: %s}
""" % peer_path, flags=FLAGS)
try:
    vm.connect()
    pid = vm.wait_running(["u0"])["u0"]["pid"]
    first, _ = peer.accept()
    state = os.stat("/proc/%d/fd/4" % pid)
    check(cmdline(pid)[-2:] == ["--state-fd=4", "--device=redir,fd=5"] and
          stat.S_ISSOCK(os.fstat(first.fileno()).st_mode),
          "a redir port: the launcher connected to the peer, fd 5")
    os.kill(pid, signal.SIGKILL)
    again = wait_for(lambda: (lambda p: p if p["restarts"] == 1 and
                              p["state"] == "running" else None)(
        vm.processes()["u0"]), 10, "u0 restarted")
    second, _ = peer.accept()
    check(second is not None, "the restarted process has a new connection "
          "to the peer")
    st2 = os.stat("/proc/%d/fd/4" % again["pid"])
    check((st2.st_dev, st2.st_ino) == (state.st_dev, state.st_ino),
          "the restarted process has the same state memfd as fd 4")
    first.close()
    second.close()
finally:
    vm.kill()
    peer.close()

# 4. A host device is the operator's to grant.
host = os.path.join(d, "host.yaml")
with open(host, "w") as f:
    f.write((BASE + """  - name: u0
    kind: usb
    binary: "{TESTDEV}"
    ports:
      - type: host
        device: "001/004"
""").replace("{TESTDEV}", "/bin/true"))
r = subprocess.run([ATOLL] + list(FLAGS) + ["check", host],
                   capture_output=True, text=True)
check(r.returncode == 1 and host + ":10:15: devices[0].ports[0].type:" in
      r.stderr and "(allow with --allow-usb-host)" in r.stderr,
      "a host port is refused without --allow-usb-host: %r" % r.stderr)
r = subprocess.run([ATOLL] + list(FLAGS) + ["--allow-usb-host", "check",
                                            host],
                   capture_output=True, text=True)
check(r.returncode == 0 and "OK" in r.stdout,
      "and accepted with it: %r" % (r.stdout + r.stderr))

# 5. examples/usb.yaml, with a stand-in guest kit and disk.
kit = tempfile.mkdtemp(prefix="atoll-usb-kit-")
for n in ("Image", "initramfs.cpio.gz"):
    open(os.path.join(kit, n), "w").close()
with open(os.path.join(kit, "disk.img"), "wb") as f:
    f.truncate(1 << 20)
env = dict(os.environ, ATOLL_GUEST_DIR=kit,
           ATOLL_DISK=os.path.join(kit, "disk.img"))
example = os.path.join(SRC, "examples", "usb.yaml")
r = subprocess.run([ATOLL, "--image-dir", kit, "check", example],
                   capture_output=True, text=True, env=env)
check("OK: VM 'usb'" in r.stdout,
      "examples/usb.yaml is a valid manifest: %r" % (r.stdout + r.stderr))
if r.returncode != 0 and "no program for kind usb" in r.stderr:
    print("skip: atoll-usb is not built: `atoll check` cannot find its "
          "program or load its profile")
else:
    check(r.returncode == 0 and "usb0: kind usb, program" in r.stdout and
          "profile usb" in r.stdout,
          "atoll check finds atoll-usb and loads its profile: %r"
          % (r.stdout + r.stderr))
print("usb launcher checks passed")
