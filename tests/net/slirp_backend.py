#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""atoll-net-slirp on its own, as the launcher drives it: a SOCK_SEQPACKET
pair, one end at the process's --frames-fd, the test holding the
other as the launcher and the device would.

  - it says it is ready with one 1-byte datagram, and answers a guest ARP
    request for the gateway 10.0.2.2 with slirp's MAC;
  - frames of a bad size (1, 13 and 2000 bytes) are dropped and logged, and
    it keeps answering;
  - frames slirp sends while nobody reads wait in the socket: a second
    holder of the device end (the next device process) reads them;
  - once every copy of the device end is closed it exits 0;
  - a --hostfwd whose port is taken exits 1 before ready, saying why;
    a bad option exits 2.

usage: slirp_backend.py ATOLL_NET_SLIRP
"""
import os
import socket
import struct
import subprocess
import sys
import time

GUEST_MAC = bytes.fromhex("525400123456")
GUEST_IP = socket.inet_aton("10.0.2.15")
HOST_IP = socket.inet_aton("10.0.2.2")


def arp_request():
    eth = b"\xff" * 6 + GUEST_MAC + b"\x08\x06"
    arp = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + GUEST_MAC + GUEST_IP \
        + b"\x00" * 6 + HOST_IP
    return eth + arp


def is_arp_reply(f):
    return len(f) >= 42 and f[12:14] == b"\x08\x06" and \
        struct.unpack("!H", f[20:22])[0] == 2 and f[28:32] == HOST_IP and \
        f[0:6] == GUEST_MAC


def start(binary, *args):
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    fd = theirs.fileno()
    p = subprocess.Popen([binary, f"--frames-fd={fd}", "--name=t", *args],
                         pass_fds=(fd,), stderr=subprocess.PIPE, text=True)
    theirs.close()
    mine.settimeout(10)
    return p, mine


def arp_answered(sock, tries=3):
    for _ in range(tries):
        sock.send(arp_request())
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                f = sock.recv(4096)
            except socket.timeout:
                break
            if is_arp_reply(f):
                return True
    return False


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    binary, problems = sys.argv[1], []

    p, s = start(binary)
    if s.recv(16) != b"R":
        problems.append("no 1-byte ready datagram first")
    if not arp_answered(s):
        problems.append("no ARP reply for 10.0.2.2")
    for n in (1, 13, 2000):
        s.send(b"\x00" * n)
    if not arp_answered(s):
        problems.append("no ARP reply after frames of bad sizes")
    # The next device process: a copy of the end, the first one silent.
    second = s.dup()
    s.send(arp_request())
    time.sleep(0.5)
    second.settimeout(5)
    try:
        if not is_arp_reply(second.recv(4096)):
            problems.append("the queued frame read by the second holder "
                            "is not the ARP reply")
    except socket.timeout:
        problems.append("nothing queued for the second holder")
    s.close()
    if p.poll() is not None:
        problems.append("exited while a copy of the device end was open")
    second.close()
    try:
        rc = p.wait(10)
        if rc != 0:
            problems.append(f"exit status {rc} at end of file, wanted 0")
    except subprocess.TimeoutExpired:
        p.kill()
        problems.append("still running after every device end closed")
    err = p.stderr.read()
    if "bad size" not in err:
        problems.append("the bad-size frames were not logged")

    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    p, s = start(binary, f"--hostfwd=tcp:127.0.0.1:{port}-:22")
    try:
        got = s.recv(16)
    except socket.timeout:
        got = None
    rc = p.wait(10)
    err = p.stderr.read()
    if got or rc != 1 or "cannot listen" not in err:
        problems.append(f"taken hostfwd port: ready {got!r}, exit {rc}, "
                        f"log {err.strip()!r}; wanted no ready, 1, "
                        "'cannot listen'")
    s.close()
    taken.close()

    rc = subprocess.run([binary, "--frames-fd=3", "--queues=2"],
                        stderr=subprocess.DEVNULL).returncode
    if rc != 2:
        problems.append(f"a bad option exits {rc}, wanted 2")

    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print("PASS: ready datagram, ARP answered, bad-size frames dropped and "
          "logged, queued frames reach the next holder, exit 0 once every "
          "device end is closed, a taken hostfwd port exits 1 before ready, "
          "a bad option 2")
    return 0


if __name__ == "__main__":
    sys.exit(main())
