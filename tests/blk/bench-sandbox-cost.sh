#!/bin/sh
# The sandbox's cost on the disk path: the blk benchmark (host-side driver,
# tmpfs image, fio reference) twice in one run, the device first
# unconfined, then under its virtio-blk profile as the launcher runs it.
# Prints figures only.
set -eu
bench=$1
sandbox_run=$2
echo "=== atoll-virtio-blk, sandbox OFF"
env -u ATOLL_BLK_SANDBOX_RUN "$bench"
echo
echo "=== atoll-virtio-blk, sandbox ON (profile virtio-blk)"
ATOLL_BLK_SANDBOX_RUN=$sandbox_run "$bench"
