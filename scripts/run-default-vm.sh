#!/bin/sh
# Boots the default VM (examples/default.yaml) on a fresh Debian 12
# machine: installs what is missing, builds the guest kit (cached in
# ~/.cache/atoll), builds Atoll, makes a scratch disk and runs it.
# Usage: scripts/run-default-vm.sh [MANIFEST]   (Ctrl-A x quits)
set -eu
cd "$(dirname "$0")/.."
manifest=${1:-examples/default.yaml}

scripts/install-deps.sh all
ATOLL_GUEST_DIR=$(scripts/build-guest.sh)
export ATOLL_GUEST_DIR
cache=${XDG_CACHE_HOME:-$HOME/.cache}/atoll
mkdir -p "$cache"
ATOLL_DISK=${ATOLL_DISK:-$cache/default-disk.img}
export ATOLL_DISK
if [ ! -e "$ATOLL_DISK" ]; then
  echo "creating a 256 MiB scratch disk at $ATOLL_DISK" >&2
  truncate -s 256M "$ATOLL_DISK"
fi

[ -f build/build.ninja ] || meson setup build >&2
meson compile -C build >&2
# The kit and the disk lie outside examples/, the manifest's directory:
# files beneath them are the operator's grant (docs/usage.md).
exec build/launcher/atoll --image-dir "$ATOLL_GUEST_DIR" \
  --image-dir "$(dirname "$ATOLL_DISK")" run "$manifest"
