#!/bin/sh
# The samples build out of tree against the installed SDK alone
# (build-samples.sh: a staged `meson install`, pkg-config, each sample's own
# Makefile, -Wall -Wextra -Werror), link the SDK's libraries, and run.
# usage: samples-build-test.sh BUILD_DIR SAMPLES_DIR 'CC [ARGS]' SANITIZE
set -eu
build=$1 samples=$2 cc=$3 sanitize=$4
here=$(cd "$(dirname "$0")" && pwd)

if [ "$sanitize" != none ]; then
	echo "SKIP: sanitizer build (b_sanitize=$sanitize): an uninstrumented" \
	     "out-of-tree program cannot load the instrumented library"
	exit 77
fi
for tool in pkg-config make readelf "${MESON:-meson}"; do
	command -v "$tool" >/dev/null || { echo "SKIP: no $tool"; exit 77; }
done

# The staged libraries only (rpath $ORIGIN), never the build tree's.
unset LD_LIBRARY_PATH
out=$(mktemp -d "${TMPDIR:-/tmp}/atoll-samples.XXXXXX")
trap 'rm -rf "$out"' EXIT INT TERM
"$here/build-samples.sh" "$build" "$samples" "$out" "$cc" \
	virtio-rng goldfish-rtc

# Each program links the SDK library its Makefile names, and starts.
check() { # PROG LIB
	readelf -d "$out/bin/$1" | grep -q "NEEDED.*\[$2\]" ||
		{ echo "FAIL: $1 does not link $2"; exit 1; }
	"$out/bin/$1" --help >"$out/help" 2>&1 ||
		{ cat "$out/help"; echo "FAIL: $1 --help"; exit 1; }
	grep -q -- --fd "$out/help" ||
		{ cat "$out/help"; echo "FAIL: $1 --help names no --fd"; exit 1; }
	echo "$1: $(wc -c <"$out/bin/$1") bytes, links $2, --help ok"
}
check atoll-sample-rng libatoll-virtio.so.1
check atoll-sample-goldfish-rtc libatoll-device.so.1
echo "PASS: samples built against the staged SDK only"
