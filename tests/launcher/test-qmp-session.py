#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A QMP conversation with a running VM: greeting, negotiation, status,
stop/cont reaching the cpu process, query-processes, quit (and the cpu
process's command line carries machine.engine)."""
from harness import Vm, check, wait_for

MANIFEST = """
machine: {type: none, engine: interp, binary: "{TESTDEV}"}
memory: {size: 32M}
sandbox: off
devices:
  - {name: d0, kind: external, binary: "{TESTDEV}"}
"""

vm = Vm(MANIFEST, console="socket:{DIR}/console.sock")
try:
    from harness import Qmp
    q = Qmp(vm.qmp_path)
    check("QMP" in q.greeting and "version" in q.greeting["QMP"], "greeting")
    r = q.execute("query-status")
    check(r.get("error", {}).get("class") == "CommandNotFound",
          "commands before qmp_capabilities are refused")
    check(q.execute("qmp_capabilities") == {"return": {}}, "qmp_capabilities")
    vm.qmp = q
    ps = vm.wait_running(["mem", "cpu", "d0"])
    check(set(ps) == {"mem", "cpu", "d0"}, "query-processes lists every process")
    for name, p in ps.items():
        check(p["pid"] > 0 and p["rss"] > 0 and p["restarts"] == 0,
              "%s has a pid, an RSS and no restarts" % name)
    with open("/proc/%d/cmdline" % ps["cpu"]["pid"], "rb") as f:
        check(b"--engine=interp" in f.read().split(b"\0"),
              "machine.engine reaches the cpu process as --engine")
    wait_for(lambda: q.execute("query-status")["return"]["status"] == "running",
             5, "status running")
    check(q.execute("stop") == {"return": {}}, "stop")
    r = wait_for(lambda: (lambda s: s if s["status"] == "paused" else None)(
        q.execute("query-status")["return"]), 5, "status paused")
    check(r["running"] is False, "query-status: running false after stop")
    check(q.execute("cont") == {"return": {}}, "cont")
    wait_for(lambda: q.execute("query-status")["return"]["running"], 5,
             "running again after cont")
    names = {c["name"] for c in q.execute("query-commands")["return"]}
    check({"query-processes", "stop", "cont", "quit", "query-status",
           "query-version", "qmp_capabilities"} <= names, "query-commands")
    r = q.execute("query-version", id="abc")
    check(r.get("id") == "abc" and "qemu" in r["return"], "query-version with id")
    r = q.execute("no-such-command")
    check(r.get("error", {}).get("class") == "CommandNotFound", "unknown command")
    pids = {n: p["pid"] for n, p in ps.items()}
    check(q.execute("quit") == {"return": {}}, "quit")
    check(vm.wait_exit() == 0, "atoll exits 0 after quit")
    vm.check_nothing_left(pids)
    import os
    check(not os.path.exists(vm.dir + "/console.sock"), "console socket removed")
finally:
    vm.kill()
print("QMP session checks passed")
