#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes tests/usb/seeds/: inputs for fuzz-usbredir, each a stream of
usbredir packets from the usb-host side with 64-bit ids (as negotiated by
the harness), answering the ids the harness has pending: control IN
GET_DESCRIPTOR (2), bulk IN 0x81 (3), bulk OUT 0x02 (4), the interrupt
IN start on 0x83 (5) and interrupt OUT 0x04 (6). The fuzzer could not find the header layout and ids
alone quickly; these give it packets to mutate."""
import os
import struct
import sys

CONTROL, BULK, INTR = 100, 101, 103


def pkt(ptype, pid, hdr, data=b""):
    return struct.pack("<IIQ", ptype, len(hdr) + len(data), pid) + hdr + data


def control(pid, length, data, status=0, ep=0x80):
    return pkt(CONTROL, pid,
               struct.pack("<BBBBHHH", ep, 6, 0x80, status, 0x0100, 0,
                           length), data)


def bulk(pid, ep, length, data=b"", status=0):
    return pkt(BULK, pid, struct.pack("<BBHIH", ep, status, length & 0xffff,
                                      0, length >> 16), data)


def intr_status(pid, status=0):
    return pkt(17, pid, struct.pack("<BB", status, 0x83))


def intr(data, status=0):
    return pkt(INTR, 0, struct.pack("<BBH", 0x83, status, len(data)), data)


def intr_out(pid, length, status=0):
    return pkt(INTR, pid, struct.pack("<BBH", 0x04, status, length))


def connect(speed=2):
    return pkt(1, 0, struct.pack("<BBBBHHH", speed, 0, 0, 0, 0x1234,
                                 0x5678, 0x100))


def ep_info():
    types = [255] * 32
    types[0] = types[16] = 0
    types[17] = types[2] = 2
    types[19] = 3
    return pkt(5, 0, bytes(types) + bytes(32) + bytes(32) +
               struct.pack("<32H", *([64] * 32)) + bytes(128))


DEV = bytes([18, 1, 0, 2, 0, 0, 0, 64, 0x34, 0x12, 0x78, 0x56, 0, 1, 1, 2,
             3, 1])

seeds = {
    "answers": control(2, 18, DEV) + bulk(3, 0x81, 5, b"hello") +
    bulk(4, 0x02, 64) + intr_status(5) + intr(b"\1\2\3\4\5\6\7\x08") +
    intr(b"\x09" * 4) + intr_out(6, 8),
    "oversize": control(2, 40, DEV + bytes(22)) +
    bulk(3, 0x81, 100, bytes(100)) + bulk(4, 0x02, 65) + intr_out(6, 9),
    "unknown-ids": control(9, 18, DEV) + bulk(77, 0x81, 1, b"x") +
    control(2, 18, DEV) + bulk(3, 0x86, 1, b"y"),
    "disconnect": bulk(4, 0x02, 64) + pkt(2, 0, b"") + ep_info() +
    connect(9) + connect(1) + control(2, 18, DEV),
    "bad-status": control(2, 0, b"", status=42) + bulk(3, 0x81, 0,
                                                       status=6) +
    intr_status(5, status=4) + intr(b"abc", status=3),
}

out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
    os.path.dirname(__file__), "seeds")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
