#!/bin/sh
# usb-host-probe under kind usb's sandbox profile: libusb, usbredirhost
# and usb-redir.c set up and torn down with only the calls the profile
# allows (a missing one kills the probe, and sandbox-run names it).
# usage: usb-host-sandboxed.sh SANITIZE ATOLL_SANDBOX_RUN USB_HOST_PROBE
set -eu
sanitize=$1 sandbox_run=$2 probe=$3
if [ "$sanitize" != none ]; then
	echo "SKIP: sanitizer build (b_sanitize=$sanitize): an instrumented" \
	     "program cannot run under the seccomp profile"
	exit 77
fi
unshare --user true 2>/dev/null ||
	{ echo "SKIP: cannot create a user namespace as uid $(id -u)"; exit 77; }
exec "$sandbox_run" usb -- "$probe"
