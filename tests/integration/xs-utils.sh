#!/bin/sh
# xs-utils.sh: pvxenstored against Debian's xenstore-utils.
#
# Starts the real daemon in a private run directory, drives it with the
# xenstore-* tools through XENSTORED_PATH (so libxenstore's own protocol
# handling is what is tested), checks every answer, and always cleans up.
# Skips (77) only when xenstore-utils is not installed.
set -u

for tool in xenstore-read xenstore-write xenstore-ls xenstore-rm \
	    xenstore-chmod xenstore-watch xenstore-list xenstore-exists; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "SKIP: $tool not found (apt-get install xenstore-utils)"
		exit 77
	fi
done

builddir=${SV_BUILDDIR:-$(pwd)}
daemon=$builddir/xs/pvxenstored
dir=$(mktemp -d)
pid=
watch_pid=

cleanup() {
	[ -n "$watch_pid" ] && kill "$watch_pid" 2>/dev/null
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}
die() {
	echo "FAIL: $*"
	[ -f "$dir/daemon.log" ] && sed 's/^/daemon: /' "$dir/daemon.log"
	exit 1
}
expect() {	# expect NAME EXPECTED ACTUAL
	if [ "$2" = "$3" ]; then
		echo "ok: $1"
	else
		fail "$1: expected '$2', got '$3'"
	fi
}
# Poll for a condition for at most 120 s of wall-clock time (generous:
# a loaded machine is slow); never judges speed.
wait_for() {
	end=$(($(date +%s) + 120))
	while ! eval "$1"; do
		[ "$(date +%s)" -ge "$end" ] && { eval "$1"; return; }
		sleep 0.05
	done
	return 0
}

[ -x "$daemon" ] || die "$daemon not built"
"$daemon" --rundir "$dir" --foreground --pidfile "$dir/pid" \
	--access-log "$dir/access.log" 2>"$dir/daemon.log" &
pid=$!
wait_for '[ -S "$dir/xenstored/socket" ] && [ -s "$dir/pid" ]' ||
	die "pvxenstored did not create $dir/xenstored/socket"
XENSTORED_PATH=$dir/xenstored/socket
export XENSTORED_PATH

expect "socket mode" "600" "$(stat -c %a "$dir/xenstored/socket")"
expect "directory mode" "700" "$(stat -c %a "$dir/xenstored")"
expect "pidfile" "$pid" "$(cat "$dir/pid")"

# write / read, implicit parents, several pairs at once
xenstore-write /vm/a/name guest1 /vm/a/memory 512 || fail "xenstore-write"
expect "read" "guest1" "$(xenstore-read /vm/a/name)"
expect "read two" "guest1
512" "$(xenstore-read /vm/a/name /vm/a/memory)"
expect "implicit parent" "" "$(xenstore-read /vm/a)"
xenstore-read /vm/nothing >/dev/null 2>&1 && fail "read of a missing node succeeded"

# list and ls
expect "list" "memory
name" "$(xenstore-list /vm/a | sort)"
expect "ls" 'memory = "512"
name = "guest1"' "$(xenstore-ls /vm/a | sort)"
xenstore-ls / | grep -q '^local = ""' || fail "ls / misses local"
xenstore-ls / | grep -q '^tool = ""' || fail "ls / misses tool"

# exists
xenstore-exists /vm/a/name || fail "exists on a present node"
xenstore-exists /vm/zzz 2>/dev/null && fail "exists on a missing node"

# chmod and permissions as ls -p shows them
xenstore-chmod /vm/a/name n0 r3 w4 || fail "xenstore-chmod"
xenstore-ls -p /vm/a | grep -q 'name = "guest1".*(n0,r3,w4)' ||
	fail "ls -p does not show n0,r3,w4: $(xenstore-ls -p /vm/a)"

# watch: fires once on registration, then on a change below it
timeout 120 xenstore-watch -n 2 /vm/a >"$dir/watch.out" 2>&1 &
watch_pid=$!
wait_for '[ -s "$dir/watch.out" ]' || fail "watch did not fire on registration"
xenstore-write /vm/a/state 4 || fail "write under the watch"
wait "$watch_pid"
rc=$?
watch_pid=
expect "watch exit" 0 "$rc"
expect "watch events" "/vm/a
/vm/a/state" "$(cat "$dir/watch.out")"

# rm is recursive; a missing node under an existing parent is fine
xenstore-rm /vm/a || fail "xenstore-rm"
xenstore-exists /vm/a/name 2>/dev/null && fail "node survived rm"
xenstore-rm /vm/a 2>/dev/null || fail "rm of a missing node with a parent"
xenstore-rm /vm/none/deeper 2>/dev/null && fail "rm with a missing parent"

# bad input gets an error, and the daemon keeps serving
xenstore-write '/bad//path' x 2>/dev/null && fail "write of /bad//path"
xenstore-write '/bad path' x 2>/dev/null && fail "write of '/bad path'"
expect "still serving" "" "$(xenstore-read /local)"

# the access log has one line per request
grep -q 'type=WRITE .*path=/vm/a/name result=OK' "$dir/access.log" ||
	fail "access log lacks the write"

# SIGTERM: clean exit, socket and pidfile removed
kill -TERM "$pid"
wait "$pid"
rc=$?
pid=
expect "exit status" 0 "$rc"
[ -e "$dir/xenstored/socket" ] && fail "socket left behind"
[ -e "$dir/pid" ] && fail "pidfile left behind"

if [ "$failures" -ne 0 ]; then
	sed 's/^/daemon: /' "$dir/daemon.log"
	exit 1
fi
echo "all xenstore-utils checks passed"
exit 0
