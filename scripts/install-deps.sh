#!/bin/sh
# Installs every Debian package Atoll needs to build, test and boot guests.
# Idempotent: packages already present are not reinstalled, and apt-get
# update runs only when something is missing.
set -eu

BUILD_PKGS="meson ninja-build pkg-config gcc clang llvm libclang-rt-14-dev \
  protobuf-c-compiler libprotobuf-c-dev libevent-dev libcap-ng-dev check \
  libseccomp-dev libfdt-dev liburing-dev libjansson-dev libfyaml-dev \
  libslirp-dev libglib2.0-dev zlib1g-dev python3 gcc-riscv64-linux-gnu \
  libtpms-dev libssl-dev libpng-dev libvncserver-dev libgcrypt20-dev \
  libusbredirparser-dev libusbredirhost-dev libusb-1.0-0-dev"
TEST_PKGS="socat qemu-system-misc qemu-system-common qemu-utils opensbi u-boot-qemu fio util-linux procps \
  e2fsprogs swtpm device-tree-compiler gvncviewer"
# Node and npm come from Debian only where no npm is installed: a host with
# another vendor's nodejs (which bundles npm and conflicts with Debian's npm
# package) keeps its own.
NODE_PKGS="nodejs npm"
# A QMP client Atoll did not write, for tests/launcher/test-qmp-npm.py:
# installed with npm into a cache outside the tree (ATOLL_NPM_DIR).
NPM_PKGS="qemu-qmp@0.5.0"
NPM_DIR="${ATOLL_NPM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/atoll/npm}"
GUEST_PKGS="gcc-riscv64-linux-gnu linux-source-6.1 bc bison flex libssl-dev \
  libelf-dev cpio xz-utils dpkg-dev libc6-dev-riscv64-cross"

want="$BUILD_PKGS"
npm=no
case "${1:-all}" in
  build) ;;
  test) want="$want $TEST_PKGS"; npm=yes ;;
  all|guest) want="$want $TEST_PKGS $GUEST_PKGS"; npm=yes ;;
  *) echo "usage: $0 [build|test|guest|all]" >&2; exit 2 ;;
esac
[ "$npm" = no ] || command -v npm >/dev/null || want="$want $NODE_PKGS"

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $p"
done
# The npm packages are a test's, not the build's: a failure only makes
# that test skip, with the reason.
install_npm() {
  [ "$npm" = yes ] || return 0
  [ -d "$NPM_DIR/node_modules/qemu-qmp" ] && return 0
  if ! command -v npm >/dev/null; then
    echo "install-deps: no npm: test-qmp-npm will skip" >&2
    return 0
  fi
  mkdir -p "$NPM_DIR"
  # shellcheck disable=SC2086
  npm install --no-audit --no-fund --prefix "$NPM_DIR" $NPM_PKGS >&2 ||
    echo "install-deps: npm install failed: test-qmp-npm will skip" >&2
}

if [ -z "$missing" ]; then
  install_npm
  exit 0
fi

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >&2
install_npm
