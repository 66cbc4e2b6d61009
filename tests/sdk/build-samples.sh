#!/bin/sh
# Builds samples/ the way a vendor builds a device: out of tree, against an
# installed SDK and nothing else. Installs BUILD_DIR into OUT_DIR/root
# (meson install --destdir), points pkg-config at that install only for
# Atoll's packages, and builds each sample with its own Makefile in
# OUT_DIR/bin with -Werror. Each program there finds the staged SDK
# libraries beside it (copied, rpath $ORIGIN), so it also runs inside a
# sandbox, which exposes the binary's directory and the system's
# libraries but no staged prefix.
# usage: build-samples.sh BUILD_DIR SAMPLES_DIR OUT_DIR 'CC [ARGS]' SAMPLE...
# Prints `pkg-config ...: FLAGS` per package; exits non-zero on failure.
set -eu
build=$1 samples=$(cd "$2" && pwd) out=$3 cc=$4
shift 4

mkdir -p "$out/bin"
if ! "${MESON:-meson}" install -C "$build" --destdir "$out/root" \
	--no-rebuild >"$out/install.log" 2>&1; then
	cat "$out/install.log"
	echo "FAIL: meson install"
	exit 1
fi

pc=$(find "$out/root" -name atoll-bus.pc | head -n 1)
[ -n "$pc" ] || { echo "FAIL: atoll-bus.pc not installed"; exit 1; }
pcdir=$(dirname "$pc")
# The staged directory first, then the system's own (libprotobuf-c and
# other Requires of the SDK): an Atoll installed on this host is never
# seen, since the staged .pc files shadow it and the check below proves
# they were the ones used.
sys_pc=$(pkg-config --variable pc_path pkg-config)
export PKG_CONFIG_LIBDIR="$pcdir:$sys_pc" PKG_CONFIG_SYSROOT_DIR="$out/root"
unset PKG_CONFIG_PATH

for s in "$@"; do
	src=$samples/$s
	[ -f "$src/Makefile" ] || { echo "FAIL: $src/Makefile missing"; exit 1; }
	pkg=$(sed -n 's/^PKG *[:?]*= *//p' "$src/Makefile" | head -n 1)
	[ -n "$pkg" ] || { echo "FAIL: $src/Makefile names no PKG"; exit 1; }
	for p in $pkg; do
		where=$(pkg-config --variable pcfiledir "$p") ||
			{ echo "FAIL: pkg-config cannot find $p"; exit 1; }
		[ "$where" = "$pcdir" ] ||
			{ echo "FAIL: $p found in $where, not the staged $pcdir"; exit 1; }
	done
	echo "pkg-config --cflags --libs $pkg: $(pkg-config --cflags --libs $pkg)"
	mkdir -p "$out/obj/$s"
	# VPATH: the sample's sources stay untouched, objects go to obj/.
	# '$$ORIGIN': make turns $$ into $, the quotes keep the shell off it.
	# An old-style DT_RPATH, unlike DT_RUNPATH, also serves the SDK
	# libraries' own dependencies (libatoll-device needs libatoll-bus).
	make -s -C "$out/obj/$s" -f "$src/Makefile" VPATH="$src" \
		CC="$cc" CFLAGS="-O2 -g -Werror" \
		LDFLAGS="-Wl,--disable-new-dtags,-rpath,'\$\$ORIGIN'" \
		>"$out/obj/$s/make.log" 2>&1 ||
		{ cat "$out/obj/$s/make.log"; echo "FAIL: make $s"; exit 1; }
	prog=$(sed -n 's/^PROG *[:?]*= *//p' "$src/Makefile" | head -n 1)
	cp "$out/obj/$s/$prog" "$out/bin/"
done
libdir=$(dirname "$(find "$out/root" -name 'libatoll-bus.so.1' | head -n 1)")
cp -P "$libdir"/libatoll-*.so* "$out/bin/"
