#!/bin/sh
# samples/goldfish-rtc, built out of tree against the staged SDK
# (build-samples.sh), driven over the bus by test-sample-rtc as the
# launcher and atoll-cpu would, under the external sandbox profile.
# usage: sample-rtc-test.sh BUILD_DIR SAMPLES_DIR 'CC [ARGS]' SANITIZE \
#                           TEST_SAMPLE_RTC ATOLL_SANDBOX_RUN
set -eu
build=$1 samples=$2 cc=$3 sanitize=$4 driver=$5 sandbox_run=$6
here=$(cd "$(dirname "$0")" && pwd)

if [ "$sanitize" != none ]; then
	echo "SKIP: sanitizer build (b_sanitize=$sanitize): an uninstrumented" \
	     "out-of-tree program cannot load the instrumented library"
	exit 77
fi
for tool in pkg-config make unshare "${MESON:-meson}"; do
	command -v "$tool" >/dev/null || { echo "SKIP: no $tool"; exit 77; }
done
# The sandbox needs a user namespace; probed directly, never through it.
unshare --user true 2>/dev/null ||
	{ echo "SKIP: cannot create a user namespace as uid $(id -u)"; exit 77; }

out=$(mktemp -d "${TMPDIR:-/tmp}/atoll-sample-rtc.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
"$here/build-samples.sh" "$build" "$samples" "$out" "$cc" goldfish-rtc
# As root the sandboxed program runs as uid 65534: let it reach its folder.
chmod 755 "$out" "$out/bin"
exec "$driver" "$sandbox_run" "$out/bin/atoll-sample-goldfish-rtc"
