#!/bin/sh
# test-tpm-bus with atoll-tpm under its sandbox profile (kind tpm).
# usage: tpm-sandboxed.sh SANITIZE TEST_TPM_BUS ATOLL_TPM ATOLL_SANDBOX_RUN
set -eu
sanitize=$1 driver=$2 program=$3 sandbox_run=$4
if [ "$sanitize" != none ]; then
	echo "SKIP: sanitizer build (b_sanitize=$sanitize): an instrumented" \
	     "program cannot run under the seccomp profile"
	exit 77
fi
unshare --user true 2>/dev/null ||
	{ echo "SKIP: cannot create a user namespace as uid $(id -u)"; exit 77; }
exec "$driver" "$program" "$sandbox_run"
