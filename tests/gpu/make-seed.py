#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes fuzz-gpu-ctrl's seed (tests/gpu/seeds/draw): the whole drawing
path a driver takes, in the fuzzer's input format (a byte N, 16 * N bytes
of guest RAM, then commands as a 16-bit length and their bytes): display
info, create 4x4, attach two backing entries, transfer, set the scanout,
flush, detach, unref. The fuzzer mutates it into every near miss."""
import os
import struct


def hdr(t):
    return struct.pack("<IIQII", t, 0, 0, 0, 0)


def main():
    cmds = [
        hdr(0x100),
        hdr(0x101) + struct.pack("<IIII", 1, 2, 4, 4),
        hdr(0x106) + struct.pack("<II", 1, 2) +
        struct.pack("<QII", 0x80000000, 32, 0) +
        struct.pack("<QII", 0x80000100, 32, 0),
        hdr(0x105) + struct.pack("<IIIIQII", 0, 0, 4, 4, 0, 1, 0),
        hdr(0x103) + struct.pack("<IIIIII", 0, 0, 4, 4, 0, 1),
        hdr(0x104) + struct.pack("<IIIIII", 0, 0, 4, 4, 1, 0),
        hdr(0x107) + struct.pack("<II", 1, 0),
        hdr(0x102) + struct.pack("<II", 1, 0),
    ]
    data = bytes([2]) + bytes(range(32))
    for c in cmds:
        data += struct.pack("<H", len(c)) + c
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                       "seeds", "draw")
    with open(out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
