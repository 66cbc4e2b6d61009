#!/bin/sh
# The whole test suite, as the README and CI run it:
#   1. install what is missing (apt-get, idempotent);
#   2. build the guest kit (kernel + initramfs, cached outside the tree);
#   3. build with gcc and -Werror, run every suite but 'bench';
#   4. build with clang, ASan+UBSan and libFuzzer, run the unit, integration
#      and fuzz suites again under the sanitizers;
#   5. print one summary over both runs: "N passed, N failed, N skipped".
# Exits non-zero if anything failed. Extra arguments go to `meson test`
# (e.g. --suite unit) in both runs.
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

log() { printf '== %s\n' "$*" >&2; }

log "dependencies"
scripts/install-deps.sh all

log "guest kit"
if guest_dir=$(scripts/build-guest.sh); then
  export ATOLL_GUEST_DIR="$guest_dir"
else
  log "guest kit build FAILED: guest tests will skip and say so"
fi

setup() { # DIR [meson options...]
  dir=$1; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

status=0
log "gcc build (-Werror)"
setup build -Dwerror=true
meson compile -C build
meson test -C build --print-errorlogs --num-processes 2 "$@" || status=1

log "clang build with ASan+UBSan and fuzzers"
CC=clang setup build-san -Dwerror=true -Db_sanitize=address,undefined \
  -Db_lundef=false -Dfuzz=enabled
meson compile -C build-san
# Sandboxed children cannot run LeakSanitizer (it needs ptrace); leaks are
# checked in the unit suites, which run unsandboxed.
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  meson test -C build-san --print-errorlogs --num-processes 2 \
    --suite unit --suite integration --suite fuzz "$@" || status=1

python3 scripts/test-summary.py build/meson-logs/testlog.json \
  build-san/meson-logs/testlog.json || status=1
exit $status
