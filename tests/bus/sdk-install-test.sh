#!/bin/sh
# Installs the build into a scratch DESTDIR, then builds the vendor device
# and a launcher stand-in out of tree with nothing but
# `pkg-config --cflags --libs atoll-bus` pointed at that install, checks
# the exported symbols, and runs a session between the two. The device SDK
# likewise: libatoll-device and libatoll-virtio export exactly the
# functions their headers declare, and vendor-virtio.c builds with
# `pkg-config --cflags --libs atoll-virtio` alone and runs.
# usage: sdk-install-test.sh BUILD_DIR SDK_SOURCE_DIR 'CC [ARGS]' [SANITIZE]
set -eu
build=$1 srcdir=$2 cc=$3 sanitize=${4:-none}

if [ "$sanitize" != none ]; then
	echo "SKIP: sanitizer build (b_sanitize=$sanitize): an uninstrumented" \
	     "out-of-tree program cannot load the instrumented library"
	exit 77
fi
for tool in pkg-config nm "${MESON:-meson}"; do
	command -v "$tool" >/dev/null || { echo "SKIP: no $tool"; exit 77; }
done

stage=$(mktemp -d "${TMPDIR:-/tmp}/atoll-sdk.XXXXXX")
trap 'rm -rf "$stage"' EXIT INT TERM
if ! "${MESON:-meson}" install -C "$build" --destdir "$stage/root" \
	--no-rebuild >"$stage/install.log" 2>&1; then
	cat "$stage/install.log"
	echo "FAIL: meson install"
	exit 1
fi

pc=$(find "$stage/root" -name atoll-bus.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: atoll-bus.pc not installed"; exit 1; }
[ -f "$(dirname "$pc")/atoll-bus-event.pc" ] ||
	{ echo "FAIL: atoll-bus-event.pc not installed"; exit 1; }
for name in atoll-device atoll-virtio; do
	[ -f "$(dirname "$pc")/$name.pc" ] ||
		{ echo "FAIL: $name.pc not installed"; exit 1; }
done
for h in bus.h bus-event.h watch.h device.h virtio.h proto/types.pb-c.h proto/control.pb-c.h \
	 proto/memory.pb-c.h proto/device.pb-c.h; do
	[ -n "$(find "$stage/root" -path "*/include/atoll/$h")" ] ||
		{ echo "FAIL: header atoll/$h not installed"; exit 1; }
done

# The sysroot makes pkg-config prefix the staged tree to -I and -L.
export PKG_CONFIG_PATH="$(dirname "$pc")" PKG_CONFIG_SYSROOT_DIR="$stage/root"
flags=$(pkg-config --cflags --libs atoll-bus)
echo "pkg-config --cflags --libs atoll-bus: $flags"
for prog in vendor-device vendor-launcher; do
	# shellcheck disable=SC2086 # $cc may be "ccache gcc"
	$cc -std=gnu11 -Wall -Wextra -Werror -o "$stage/$prog" \
		"$srcdir/$prog.c" $flags
done

lib=$(find "$stage/root" -name 'libatoll-bus.so.1' | head -n 1)
extra=$(nm -D --defined-only "$lib" | awk '{ print $3 }' |
	grep -v -E '^(atoll_|atoll__|ATOLL_BUS_1\.0$)' || true)
if [ -n "$extra" ]; then
	echo "FAIL: libatoll-bus exports symbols outside atoll_*:"
	echo "$extra"
	exit 1
fi

LD_LIBRARY_PATH="$(dirname "$lib")" "$stage/vendor-launcher" \
	"$stage/vendor-device"

# The device SDK: each library's dynamic symbols are exactly the functions
# its header declares with its API macro (nothing internal leaks, nothing
# declared is missing).
declared() { # header macro
	grep -v '^#' "$1" | tr '\n' ' ' | grep -oE "$2"'[^;(]*\(' |
		sed -E 's/.*[^A-Za-z0-9_]([A-Za-z0-9_]+) *\($/\1/' | sort -u
}
for spec in device:ATOLL_DEVICE_API virtio:ATOLL_VIRTIO_API; do
	name=${spec%%:*} macro=${spec#*:}
	so=$(find "$stage/root" -name "libatoll-$name.so.1" | head -n 1)
	hdr=$(find "$stage/root" -path "*/include/atoll/$name.h" | head -n 1)
	[ -n "$so" ] || { echo "FAIL: libatoll-$name.so.1 not installed"; exit 1; }
	declared "$hdr" "$macro" >"$stage/$name.declared"
	nm -D --defined-only "$so" | awk '$2 == "T" { print $3 }' |
		sed 's/@.*//' | sort -u >"$stage/$name.exported"
	if ! cmp -s "$stage/$name.declared" "$stage/$name.exported"; then
		echo "FAIL: libatoll-$name exports differ from <atoll/$name.h>" \
		     "(< declared, > exported):"
		diff "$stage/$name.declared" "$stage/$name.exported" || true
		exit 1
	fi
	extra=$(nm -D --defined-only "$so" | awk '$2 != "T" && $2 != "A" { print $3 }')
	if [ -n "$extra" ]; then
		echo "FAIL: libatoll-$name exports data: $extra"
		exit 1
	fi
	echo "libatoll-$name: $(wc -l <"$stage/$name.exported") functions, as declared"
done
vflags=$(pkg-config --cflags --libs atoll-virtio)
echo "pkg-config --cflags --libs atoll-virtio: $vflags"
# shellcheck disable=SC2086 # $cc may be "ccache gcc"
$cc -std=gnu11 -Wall -Wextra -Werror -o "$stage/vendor-virtio" \
	"$srcdir/vendor-virtio.c" $vflags
LD_LIBRARY_PATH="$(dirname "$lib")" "$stage/vendor-virtio"
