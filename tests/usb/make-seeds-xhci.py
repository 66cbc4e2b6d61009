#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Seeds for fuzz-xhci-ring (tests/usb/seeds-xhci/): the operations of
fuzz-xhci-ring.c doing what a driver does after bring-up, so the fuzzer
starts from transfers that reach the device. Run from tests/usb/."""
import os
import struct

RAM_BASE = 0x80000000
G_DATA = 0x60000


def trb(param, status, control):
    return struct.pack('<QII', param, status, control | 1)


def ring_trb(dci, idx, t):
    return bytes([3, dci, idx]) + t


def doorbell(slot, target):
    return bytes([2, slot, target])


def cmd(t):
    return bytes([4]) + t


NORMAL, SETUP, DATA, STATUS, LINK, EVDATA = 1, 2, 3, 4, 6, 7
CH, IOC, ISP, IDT = 1 << 4, 1 << 5, 1 << 2, 1 << 6

seeds = {
    'bulk-out': ring_trb(2, 0, trb(RAM_BASE + G_DATA, 100, NORMAL << 10 | CH))
    + ring_trb(2, 1, trb(RAM_BASE + G_DATA, 4, NORMAL << 10 | IOC | IDT))
    + doorbell(1, 2) + bytes([7]),
    'bulk-in-short': bytes([6, 0x24])
    + ring_trb(3, 0, trb(RAM_BASE + G_DATA, 4096, NORMAL << 10 | ISP | CH))
    + ring_trb(3, 1, trb(0x1234, 0, EVDATA << 10 | IOC))
    + doorbell(1, 3) + bytes([7]),
    'control-in': ring_trb(1, 0, trb(0x0040000001000680, 8,
                                      SETUP << 10 | IDT | 3 << 16))
    + ring_trb(1, 1, trb(RAM_BASE + G_DATA, 64, DATA << 10 | ISP | 1 << 16))
    + ring_trb(1, 2, trb(0, 0, STATUS << 10 | IOC))
    + doorbell(1, 1) + bytes([7]),
    'interrupt-nak': bytes([6, 0])
    + ring_trb(5, 0, trb(RAM_BASE + G_DATA, 8, NORMAL << 10 | IOC))
    + doorbell(1, 5) + bytes([6, 4, 5, 0x80, 7]),
    'async-stop': bytes([6, 2])
    + ring_trb(3, 0, trb(RAM_BASE + G_DATA, 512, NORMAL << 10 | IOC))
    + doorbell(1, 3)
    + cmd(trb(0, 0, 15 << 10 | 3 << 16 | 1 << 24))
    + cmd(trb(RAM_BASE + 0x20000 + 0x3000 + 16 | 1, 0,
              16 << 10 | 3 << 16 | 1 << 24))
    + bytes([5, 1, 7]),
    'restart': bytes([6, 0])
    + ring_trb(5, 0, trb(RAM_BASE + G_DATA, 8, NORMAL << 10 | IOC))
    + doorbell(1, 5) + bytes([9, 0, 0, 0, 6, 4, 5, 0x80, 7])
    + ring_trb(3, 0, trb(RAM_BASE + G_DATA, 512, NORMAL << 10 | IOC))
    + doorbell(1, 3) + bytes([7]),
    'link-loop': ring_trb(3, 0, trb(RAM_BASE + 0x23010, 0, LINK << 10))
    + ring_trb(3, 1, trb(RAM_BASE + 0x23000, 0, LINK << 10))
    + doorbell(1, 3) + cmd(trb(0, 0, 14 << 10 | 3 << 16 | 1 << 24))
    + bytes([7]),
}
os.makedirs('seeds-xhci', exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join('seeds-xhci', name), 'wb') as f:
        f.write(data)
