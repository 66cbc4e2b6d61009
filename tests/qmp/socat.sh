#!/bin/sh
# A stock QMP client (socat) drives the fake server: greeting, negotiation,
# commands, an event, and quit (whose reply must arrive before the close).
# usage: socat.sh QMP-FAKE-SERVER
set -u
server=$1
command -v socat >/dev/null 2>&1 || { echo "SKIP: socat is not installed"; exit 77; }
dir=$(mktemp -d /tmp/atoll-qmp-socat.XXXXXX)
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
sock=$dir/qmp.sock
"$server" "$sock" > "$dir/ready" &
pid=$!
for _ in $(seq 50); do [ -s "$dir/ready" ] && break; sleep 0.1; done
[ -s "$dir/ready" ] || { echo "FAIL: server did not start"; exit 1; }

printf '%s\n' \
  '{"execute": "qmp_capabilities"}' \
  '{"execute": "query-status", "id": "s1"}' \
  '{"execute": "stop"}' \
  '{"execute": "query-status", "id": "s2"}' \
  '{"execute": "quit", "id": "q"}' \
  | socat -t 2 - "UNIX-CONNECT:$sock" > "$dir/out" 2>&1
cat "$dir/out"

fail=0
want() {
  grep -q -- "$1" "$dir/out" || { echo "FAIL: output lacks $1"; fail=1; }
}
want '"QMP": {"version": {"qemu": {"micro": 0, "minor": 1, "major": 0}, "package": "atoll 0.1.0"}, "capabilities": \[\]}'
want '{"return": {"status": "running", "running": true, "singlestep": false}, "id": "s1"}'
want '"event": "STOP"'
want '{"return": {"status": "paused", "running": false, "singlestep": false}, "id": "s2"}'
want '{"return": {}, "id": "q"}'
# quit ends the server.
for _ in $(seq 50); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then echo "FAIL: server still running after quit"; fail=1; fi
[ -e "$sock" ] && { echo "FAIL: socket file left behind"; fail=1; }
[ $fail = 0 ] && echo "PASS"
exit $fail
