#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Sums meson's testlog.json files into one line: N passed, N failed,
N skipped. Lists what failed and what skipped first. Exits 1 on any
failure, or when no test ran at all."""
import json
import sys

PASS = {"OK", "EXPECTEDFAIL"}
SKIP = {"SKIP"}
passed, failed, skipped = [], [], []
for path in sys.argv[1:]:
    run = path.split("/")[0]
    try:
        lines = open(path).read().splitlines()
    except FileNotFoundError:
        failed.append("%s: no test log (the build failed?)" % run)
        continue
    for line in lines:
        t = json.loads(line)
        name = "%s: %s" % (run, t["name"])
        if t["result"] in PASS:
            passed.append(name)
        elif t["result"] in SKIP:
            skipped.append(name)
        else:
            failed.append("%s (%s)" % (name, t["result"]))

for s in skipped:
    print("skipped: " + s)
for f in failed:
    print("FAILED: " + f)
print("%d passed, %d failed, %d skipped" % (len(passed), len(failed), len(skipped)))
sys.exit(1 if failed or not passed else 0)
