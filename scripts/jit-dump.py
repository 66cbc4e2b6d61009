#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Disassembles a jit dump (ATOLL_RV_JIT_DUMP=file, cpu-server/riscv/jit/).

usage: scripts/jit-dump.py FILE [PA_HEX ...]
Prints every translation (or those at the given physical pcs) with
objdump, addresses as code-cache offsets.
"""
import os
import struct
import subprocess
import sys
import tempfile


def main():
    if len(sys.argv) < 2 or sys.argv[1] in ('-h', '--help'):
        print(__doc__.strip())
        return 0 if len(sys.argv) > 1 else 2
    want = {int(a, 16) for a in sys.argv[2:]}
    data = open(sys.argv[1], 'rb').read()
    pos = 0
    while pos + 16 <= len(data):
        pa, off, n = struct.unpack_from('<QII', data, pos)
        code = data[pos + 16:pos + 16 + n]
        pos += 16 + n
        if want and pa not in want:
            continue
        with tempfile.NamedTemporaryFile(suffix='.bin') as f:
            f.write(code)
            f.flush()
            out = subprocess.run(
                ['objdump', '-D', '-b', 'binary', '-m', 'i386:x86-64',
                 '--adjust-vma=%#x' % off, f.name],
                capture_output=True, text=True, check=True).stdout
        body = out.split('<.data>:\n', 1)[-1]
        print('== pa %#x: %d bytes at cache offset %#x' % (pa, n, off))
        print(body)
    return 0


if __name__ == '__main__':
    sys.exit(main())
