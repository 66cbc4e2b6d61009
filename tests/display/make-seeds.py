#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes fuzz-display-client's seeds (tests/display/seeds/): a client
that gets through the RFB 3.8 handshake without a password (byte 0 even)
and then sends what a viewer sends: SetPixelFormat, SetEncodings,
FramebufferUpdateRequest, key events, pointer events at the corners and
past them; and one that answers the password challenge wrongly (byte 0
odd); and SCANOUT_DIRTY rectangles (byte 0 bit 1). libvncserver is not instrumented, so the fuzzer cannot find the
handshake by itself: these carry it there."""
import os
import struct

HANDSHAKE = b"RFB 003.008\n" + b"\x01" + b"\x01"   # None, ClientInit shared
MESSAGES = (
    struct.pack(">BxxxBBBBHHHBBBxxx", 0, 32, 24, 0, 1, 255, 255, 255,
                16, 8, 0) +                         # SetPixelFormat
    struct.pack(">BxH", 2, 2) + struct.pack(">ii", 0, -239) +  # encodings
    struct.pack(">BBHHHH", 3, 0, 0, 0, 64, 48) +    # update request
    struct.pack(">BBxxI", 4, 1, ord("a")) + struct.pack(">BBxxI", 4, 0, ord("a")) +
    struct.pack(">BBxxI", 4, 1, 0xffe1) + struct.pack(">BBxxI", 4, 1, 0x12345678) +
    struct.pack(">BBHH", 5, 1, 0, 0) + struct.pack(">BBHH", 5, 7, 63, 47) +
    struct.pack(">BBHH", 5, 0, 65535, 65535) +
    struct.pack(">BxxxI", 6, 5) + b"hello"          # ClientCutText
)


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
    with open(os.path.join(out, "viewer"), "wb") as f:
        f.write(b"\x00" + HANDSHAKE + MESSAGES)
    with open(os.path.join(out, "password"), "wb") as f:
        f.write(b"\x01" + b"RFB 003.008\n" + b"\x02" + bytes(16) + MESSAGES)
    # Byte 0 bit 1: a scanout header (64x48, stride 256) and SCANOUT_DIRTY
    # rectangles, one inside and one reaching past the right edge.
    with open(os.path.join(out, "dirty-rects"), "wb") as f:
        f.write(b"\x02" + struct.pack("<3I", 64, 48, 256) +
                struct.pack("<4I", 5, 3, 10, 4) + struct.pack("<4I", 60, 0, 8, 1))


if __name__ == "__main__":
    main()
