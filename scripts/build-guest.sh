#!/bin/sh
# Builds the Atoll riscv64 guest kit: a Linux `Image` (linux-source-6.1,
# tinyconfig + scripts/guest/kernel.config) and `initramfs.cpio.gz` (static
# busybox + scripts/guest/init).
#
# Results are cached outside the work tree, keyed by a hash of every input:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/atoll/guest/<hash>/{Image,initramfs.cpio.gz}
#   ${XDG_CACHE_HOME:-$HOME/.cache}/atoll/guest/current -> <hash>
# The kernel and busybox are cached separately, so editing the init script
# only repacks the initramfs.
#
# Progress goes to stderr; the last line on stdout is the result directory:
#   ATOLL_GUEST_DIR=$(scripts/build-guest.sh)
# Options: --force (rebuild even if cached), --jobs N (default 2).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
guest_src="$here/guest"
jobs=2
force=0
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=1 ;;
    --jobs) jobs=$2; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 0 ;;
    *) echo "build-guest: unknown argument $1" >&2; exit 2 ;;
  esac
  shift
done

say() { echo "build-guest: $*" >&2; }
die() { echo "build-guest: ERROR: $*" >&2; exit 1; }

cache=${XDG_CACHE_HOME:-$HOME/.cache}/atoll/guest
mkdir -p "$cache"

"$here/install-deps.sh" guest

# Serialise concurrent callers (parallel test runs) on one cache.
exec 9>"$cache/.lock"
flock 9

pkgver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo none; }

# apt-get source needs a deb-src entry; mirror the deb822 entry in use.
ensure_deb_src() {
  if apt-cache showsrc busybox 2>/dev/null | grep -q '^Version:'; then
    return 0
  fi
  src=/etc/apt/sources.list.d/atoll-deb-src.sources
  if [ ! -e "$src" ]; then
    say "adding deb-src entry $src"
    uri=$(sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
    [ -n "$uri" ] || uri=http://deb.debian.org/debian
    suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    printf 'Types: deb-src\nURIs: %s\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$uri" "$suite" "$suite" | $SUDO tee "$src" >/dev/null
  fi
  say "apt-get update (deb-src)"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -q >&2
  apt-cache showsrc busybox 2>/dev/null | grep -q '^Version:' \
    || die "no busybox source package after adding deb-src"
}
ensure_deb_src

busybox_ver=$(apt-cache showsrc busybox | sed -n 's/^Version: //p' | sort -V | tail -n1)
linux_ver=$(pkgver linux-source-6.1)
gcc_ver=$(pkgver gcc-riscv64-linux-gnu)
libc_ver=$(pkgver libc6-dev-riscv64-cross)
self_sum=$(sha256sum "$0" | cut -c1-64)

hash_of() { sha256sum | cut -c1-16; }
khash=$( { echo "linux=$linux_ver gcc=$gcc_ver self=$self_sum";
           cat "$guest_src/kernel.config"; } | hash_of)
bhash=$( { echo "busybox=$busybox_ver gcc=$gcc_ver libc=$libc_ver self=$self_sum";
           cat "$guest_src/busybox.config"; } | hash_of)
ghash=$( { echo "k=$khash b=$bhash"; cat "$guest_src/init"; } | hash_of)

kdir=$cache/kernel-$khash
bdir=$cache/busybox-$bhash
gdir=$cache/$ghash
work=$cache/work
export ARCH=riscv CROSS_COMPILE=riscv64-linux-gnu-

# Every option line of the fragment (=y, =n, numeric) must survive
# olddefconfig; a silently dropped option means a missing dependency.
check_kconfig() {
  missing=""
  for line in $(grep -E '^CONFIG_[A-Z0-9_]+=' "$guest_src/kernel.config"); do
    grep -qx "$line" "$1" || missing="$missing $line"
  done
  [ -z "$missing" ] || die "kernel options missing from the final .config:$missing"
}

build_kernel() {
  say "building kernel $linux_ver (cache kernel-$khash)"
  rm -rf "$work/linux" && mkdir -p "$work/linux"
  tar -xJf /usr/src/linux-source-6.1.tar.xz -C "$work/linux" --strip-components=1
  (
    cd "$work/linux"
    # merge_config.sh reports every override; keep that out of the way.
    make -s tinyconfig > kconfig.log 2>&1
    ./scripts/kconfig/merge_config.sh -m .config "$guest_src/kernel.config" >> kconfig.log 2>&1 \
      || { cat kconfig.log >&2; die "merge_config.sh failed"; }
    make -s olddefconfig >> kconfig.log 2>&1 || { cat kconfig.log >&2; die "olddefconfig failed"; }
    check_kconfig .config
    say "make -j$jobs Image (a few minutes)"
    nice make -s -j"$jobs" Image >&2
    cc -O2 -o "$work/gen_init_cpio" usr/gen_init_cpio.c
  )
  rm -rf "$kdir.tmp" && mkdir -p "$kdir.tmp"
  cp "$work/linux/arch/riscv/boot/Image" "$work/linux/.config" "$work/gen_init_cpio" "$kdir.tmp/"
  echo "$(sed -n 's/^VERSION = //p' "$work/linux/Makefile").$(sed -n 's/^PATCHLEVEL = //p' "$work/linux/Makefile").$(sed -n 's/^SUBLEVEL = //p' "$work/linux/Makefile")" \
    > "$kdir.tmp/version"
  rm -rf "$kdir" && mv "$kdir.tmp" "$kdir"
  rm -rf "$work/linux"
}

# Applies CONFIG_X=y / CONFIG_X=n / CONFIG_X=value lines to a busybox .config.
apply_bb_fragment() {
  grep -E '^CONFIG_[A-Z0-9_]+=' "$guest_src/busybox.config" | while IFS= read -r line; do
    key=${line%%=*}; val=${line#*=}
    sed -i -e "/^$key=/d" -e "/^# $key is not set/d" "$1"
    if [ "$val" = n ]; then echo "# $key is not set"; else echo "$line"; fi >> "$1"
  done
}

check_bb_config() {
  missing=""
  for line in $(grep -E '^CONFIG_[A-Z0-9_]+=' "$guest_src/busybox.config"); do
    key=${line%%=*}; val=${line#*=}
    if [ "$val" = n ]; then
      grep -q "^$key=y" "$1" && missing="$missing $line"
    else
      grep -qx "$line" "$1" || missing="$missing $line"
    fi
  done
  [ -z "$missing" ] || die "busybox options missing from the final .config:$missing"
}

build_busybox() {
  say "building busybox $busybox_ver (cache busybox-$bhash)"
  rm -rf "$work/bb" && mkdir -p "$work/bb"
  (cd "$work/bb" && apt-get source -q --download-only "busybox=$busybox_ver" >&2 \
     && dpkg-source -x ./*.dsc src >&2)
  (
    cd "$work/bb/src"
    make -s defconfig > kconfig.log 2>&1
    apply_bb_fragment .config
    yes "" | make -s oldconfig >/dev/null 2>&1 || true
    check_bb_config .config
    say "make -j$jobs busybox"
    nice make -s -j"$jobs" busybox busybox.links >&2
    file busybox | grep -q 'statically linked' || die "busybox is not static"
  )
  rm -rf "$bdir.tmp" && mkdir -p "$bdir.tmp"
  cp "$work/bb/src/busybox" "$work/bb/src/busybox.links" "$work/bb/src/.config" "$bdir.tmp/"
  rm -rf "$bdir" && mv "$bdir.tmp" "$bdir"
  rm -rf "$work/bb"
}

# gen_init_cpio writes device nodes and root ownership without needing root.
pack_initramfs() {
  say "packing initramfs (cache $ghash)"
  list=$gdir.tmp/initramfs.list
  {
    for d in /bin /sbin /usr /usr/bin /usr/sbin /proc /sys /dev /tmp /root /etc /mnt; do
      echo "dir $d 0755 0 0"
    done
    echo "nod /dev/console 0600 0 0 c 5 1"
    echo "nod /dev/null 0666 0 0 c 1 3"
    echo "file /bin/busybox $bdir/busybox 0755 0 0"
    echo "file /init $guest_src/init 0755 0 0"
    sort -u "$bdir/busybox.links" | while IFS= read -r l; do
      [ "$l" = /bin/busybox ] && continue
      case "$l" in /linuxrc) continue ;; esac
      echo "slink $l /bin/busybox 0777 0 0"
    done
  } > "$list"
  "$kdir/gen_init_cpio" "$list" | gzip -9n > "$gdir.tmp/initramfs.cpio.gz"
}

if [ "$force" = 1 ]; then rm -rf "$kdir" "$bdir" "$gdir"; fi
if [ -f "$gdir/Image" ] && [ -f "$gdir/initramfs.cpio.gz" ]; then
  say "cached: $gdir"
else
  mkdir -p "$work"
  [ -f "$kdir/Image" ] || build_kernel
  [ -f "$bdir/busybox" ] || build_busybox
  rm -rf "$gdir.tmp" && mkdir -p "$gdir.tmp"
  pack_initramfs
  cp "$kdir/Image" "$gdir.tmp/Image"
  cp "$kdir/.config" "$gdir.tmp/kernel.config"
  cp "$kdir/version" "$gdir.tmp/kernel-version"
  {
    echo "linux-source-6.1=$linux_ver"
    echo "busybox=$busybox_ver"
    echo "gcc-riscv64-linux-gnu=$gcc_ver"
    echo "libc6-dev-riscv64-cross=$libc_ver"
    echo "kernel-cache=kernel-$khash"
    echo "busybox-cache=busybox-$bhash"
  } > "$gdir.tmp/inputs"
  rm -rf "$gdir" && mv "$gdir.tmp" "$gdir"
fi
ln -sfn "$ghash" "$cache/current.tmp" && mv -T "$cache/current.tmp" "$cache/current"
echo "$gdir"
