#!/usr/bin/env python3
"""Writes the seed inputs of fuzz-scsi (seeds-scsi/), fuzz-bot
(seeds-bot/) and fuzz-hid (seeds-hid/): the commands Linux's usb-storage
and sd send at probe and for I/O, and usbhid's requests with key and
pointer events, in each fuzzer's input format (see the fuzzers' headers).
Usage: make-model-seeds.py [DIR] (default: this script's folder)."""
import os
import struct
import sys

CDBS = {
    'inquiry': bytes([0x12, 0, 0, 0, 36, 0]),
    'vpd80': bytes([0x12, 1, 0x80, 0, 255, 0]),
    'tur': bytes(6),
    'sense': bytes([0x03, 0, 0, 0, 18, 0]),
    'cap10': bytes([0x25] + [0] * 9),
    'cap16': bytes([0x9e, 0x10] + [0] * 11 + [32, 0, 0]),
    'mode3f': bytes([0x1a, 0, 0x3f, 0, 192, 0]),
    'mode8': bytes([0x5a, 0, 0x08, 0, 0, 0, 0, 0, 255, 0]),
    'read10': bytes([0x28, 0, 0, 0, 0, 2, 0, 0, 4, 0]),
    'write10': bytes([0x2a, 0, 0, 0, 0, 3, 0, 0, 2, 0]),
    'read16': bytes([0x88, 0] + [0] * 7 + [60] + [0, 0, 0, 4, 0, 0]),
    'sync10': bytes([0x35] + [0] * 9),
    'rfc': bytes([0x23, 0, 0, 0, 0, 0, 0, 0, 252, 0]),
}
# (cdb, direction in, data length)
XFER = {
    'inquiry': (True, 36), 'vpd80': (True, 255), 'tur': (False, 0),
    'sense': (True, 18), 'cap10': (True, 8), 'cap16': (True, 32),
    'mode3f': (True, 192), 'mode8': (True, 255), 'read10': (True, 2048),
    'write10': (False, 1024), 'read16': (True, 2048), 'sync10': (False, 0),
    'rfc': (True, 252),
}


def scsi(names, flags=0):
    out = b''
    for n in names:
        cdb = CDBS[n]
        out += bytes([len(cdb), flags]) + cdb
        if n == 'write10':
            out += bytes(range(256)) * 4
    return out


def cbw(tag, name, length=None, dir_in=None):
    cdb = CDBS[name]
    d_in, d_len = XFER[name]
    length = d_len if length is None else length
    dir_in = d_in if dir_in is None else dir_in
    c = b'USBC' + struct.pack('<II', tag, length)
    c += bytes([0x80 if dir_in else 0, 0, len(cdb)]) + cdb.ljust(16, b'\0')
    return bytes([7]) + c


def bulk_in(n):
    return bytes([1]) + struct.pack('<H', n)


def bulk_out(data):
    return bytes([0]) + struct.pack('<H', len(data)) + data


def command(tag, name):
    d_in, d_len = XFER[name]
    out = cbw(tag, name)
    left = d_len
    while left:
        k = min(left, 512)
        out += bulk_in(k) if d_in else bulk_out(bytes([tag]) * k)
        left -= k
    return out + bulk_in(13)


def hid_control(rt, req, value, index, length, data=b''):
    return bytes([0, rt, req]) + struct.pack('<HHH', value, index,
                                             length) + data


def hid_event(kind, code, value):
    return bytes([2, kind]) + struct.pack('<Hi', code, value)


HID_PROBE = (hid_control(0x80, 6, 0x0100, 0, 18) +
             hid_control(0x80, 6, 0x0200, 0, 9) +
             hid_control(0x80, 6, 0x0200, 0, 34) +
             hid_control(0x80, 6, 0x0302, 0x409, 255) +
             hid_control(0x00, 9, 1, 0, 0) +
             hid_control(0x81, 6, 0x2200, 0, 128) +
             hid_control(0x21, 0x0a, 0, 0, 0) +
             hid_control(0x21, 0x09, 0x0200, 0, 1, b'\x02'))
EV_SYN, EV_KEY, EV_REL, EV_ABS = 0, 1, 2, 3   # the fuzzer's type index


def setup(rt, req, value, index, length):
    """A SETUP packet as fuzz-bot's op 3 takes it (after the op byte)."""
    return bytes([rt, req]) + struct.pack('<HHH', value, index, length)


def main():
    top = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__))
    seeds = {
        'seeds-scsi/probe': scsi(['inquiry', 'tur', 'cap10', 'mode3f',
                                  'mode8', 'cap16', 'rfc', 'vpd80']),
        'seeds-scsi/io': scsi(['write10', 'read10', 'sync10', 'read16']),
        'seeds-scsi/readonly': scsi(['write10', 'sense'], 0x80),
        'seeds-scsi/shrunk': scsi(['read16', 'sense'], 0x40),
        'seeds-bot/probe': b''.join(command(i + 1, n) for i, n in enumerate(
            ['inquiry', 'tur', 'cap10', 'mode3f', 'sense', 'rfc'])),
        'seeds-bot/io': b''.join(command(i + 1, n) for i, n in enumerate(
            ['write10', 'read10', 'sync10', 'read16'])),
        # a short IN phase (stall, clear), a phase error, an invalid CBW
        # and Reset Recovery
        'seeds-bot/errors': cbw(1, 'inquiry', 100) + bulk_in(100) +
        bulk_in(13) + cbw(2, 'tur', 512, True) + bulk_in(512) +
        bytes([2, 0x81]) + bulk_in(13) + cbw(3, 'write10', 512) +
        bulk_out(bytes(512)) + bulk_in(13) + bytes([7]) + b'USBD' +
        bytes(27) + bytes([6]) + command(4, 'tur'),
        # a SuperSpeed disk (bit 3 of the first byte): the BOS, the USB 3
        # requests Linux may send, then a command
        'seeds-bot/superspeed': bytes([3 | 8]) + setup(0x80, 6, 0x0f00, 0, 5)
        + bytes([3]) + setup(0x80, 6, 0x0f00, 0, 22) + bytes([3]) +
        setup(0, 0x30, 0, 0, 6) + bytes(6) + bytes([3]) +
        setup(0, 0x31, 40, 0, 0) + bytes([3]) + setup(0, 3, 48, 0, 0) +
        bytes([3]) + setup(0x80, 0, 0, 0, 2) + command(1, 'inquiry'),
    }
    seeds['seeds-hid/keyboard'] = (
        b'\0' + HID_PROBE + bytes([1, 8]) + hid_event(EV_KEY, 30, 1) +
        hid_event(EV_SYN, 0, 0) + bytes([1, 8]) +
        hid_event(EV_KEY, 42, 1) + hid_event(EV_KEY, 30, 0) +
        hid_event(EV_SYN, 0, 0) + bytes([1, 8, 1, 8]) + bytes([7]) +
        hid_event(EV_KEY, 42, 0) + hid_event(EV_SYN, 0, 0) + bytes([1, 8]))
    seeds['seeds-hid/tablet'] = (
        b'\1' + HID_PROBE + hid_event(EV_ABS, 0, 100) +
        hid_event(EV_ABS, 1, 200) + hid_event(EV_KEY, 0x110, 1) +
        hid_event(EV_REL, 8, 300) + hid_event(EV_SYN, 0, 0) +
        bytes([1, 6, 1, 6, 1, 6, 1, 6]))
    for name, data in seeds.items():
        path = os.path.join(top, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
