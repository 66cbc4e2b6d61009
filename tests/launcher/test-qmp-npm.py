#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The device commands through a QMP client Atoll did not write: the npm
package qemu-qmp (installed by scripts/install-deps.sh into
ATOLL_NPM_DIR, ~/.cache/atoll/npm by default) drives device-restart,
inject-fault, device-replace and query-faults and sees the events.
Skips with the reason when node or the package is missing."""
import os
import shutil
import subprocess
import sys

from harness import TESTDEV, Vm, check

NPM_DIR = os.environ.get("ATOLL_NPM_DIR") or os.path.join(
    os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
    "atoll", "npm")
MODULES = os.path.join(NPM_DIR, "node_modules")

if not shutil.which("node"):
    print("SKIP: node is not installed (scripts/install-deps.sh test)")
    sys.exit(77)
if not os.path.isdir(os.path.join(MODULES, "qemu-qmp")):
    print("SKIP: the npm package qemu-qmp is not in %s "
          "(scripts/install-deps.sh test installs it)" % NPM_DIR)
    sys.exit(77)

vm = Vm("""
machine: {type: none, binary: "{TESTDEV}"}
memory: {size: 16M}
sandbox: off
devices:
  - {name: d0, kind: external, binary: "{TESTDEV}"}
""")
try:
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                          "qmp-npm-client.js")
    env = dict(os.environ, NODE_PATH=MODULES)
    # the socket exists once atoll listens
    vm.connect()
    vm.qmp.close()
    r = subprocess.run(["node", script, vm.qmp_path, TESTDEV], env=env,
                       timeout=60, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    print(r.stdout, end="")
    check(r.returncode == 0, "the npm client's checks pass")
    check(vm.wait_exit() == 0, "atoll exits 0 after the client's quit")
finally:
    vm.kill()
print("all npm QMP client checks passed")
