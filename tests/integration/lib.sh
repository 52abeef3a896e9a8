# lib.sh: shared by the integration tests. Sourced, not run.
#
# Each test gets a private run directory and its own host daemons, so tests
# can run side by side and never touch /run/splitvisor. cleanup runs on any
# exit: it stops the daemons, kills anything left from this run directory
# and removes it. Waits are bounded (a hung guest fails the test instead of
# hanging it) but nothing asserts on how long anything took.

set -u
: "${SV_BUILDDIR:?run through make check}"
: "${SV_SRCDIR:?run through make check}"

PVCTL="$SV_BUILDDIR/dom0/pvctl"
RUNDIR=$(mktemp -d /tmp/sv-test.XXXXXX)
export SPLITVISOR_RUNDIR="$RUNDIR"
FAILS=0
PASSES=0

if [ "$(id -u)" != 0 ]; then
	echo "SKIP: integration tests need root (domains are sandboxed processes)"
	exit 77
fi

cleanup() {
	"$PVCTL" host stop >/dev/null 2>&1
	runner_pids | xargs -r kill -KILL 2>/dev/null
	if [ "$FAILS" -gt 0 ] && [ -d "$RUNDIR" ]; then
		for f in "$RUNDIR"/*.log "$RUNDIR"/console/*.log "$RUNDIR"/pvdm/*.log; do
			[ -f "$f" ] && { echo "--- $f"; tail -n 30 "$f"; }
		done
	fi
	rm -rf "$RUNDIR"
}
trap cleanup EXIT

pass() { PASSES=$((PASSES + 1)); echo "ok - $*"; }
fail() { FAILS=$((FAILS + 1)); echo "not ok - $*"; }

# check DESCRIPTION COMMAND...: passes when the command succeeds.
check() {
	local what=$1
	shift
	if "$@"; then pass "$what"; else fail "$what"; fi
}

finish() {
	echo "$PASSES passed, $FAILS failed"
	[ "$FAILS" -eq 0 ]
}

# wait_until SECONDS COMMAND...: polls until the command succeeds, for at
# most SECONDS of wall-clock time (checked once more at the end). The
# bounds the tests give are generous (60 s and more): they cost nothing
# when things work, and a loaded machine can be many times slower.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while [ "$SECONDS" -lt "$end" ]; do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

# A domain XML for the pvos kernel in this build tree.
# make_xml NAME CMDLINE [EXTRA-ELEMENTS] > file
make_xml() {
	cat <<XML
<domain type='xen'>
  <name>$1</name>
  <memory unit='MiB'>${MEM_MIB:-16}</memory>
  <os>
    <type>linux</type>
    <kernel>$SV_BUILDDIR/pvfront/pvos</kernel>
    <cmdline>$2</cmdline>
  </os>
  ${3:-<on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash>}
</domain>
XML
}

# json_field NAME FIELD: the field of the named domain from list --json.
json_field() {
	"$PVCTL" list --json | python3 -c '
import json, sys
for d in json.load(sys.stdin):
    if d["name"] == sys.argv[1]:
        v = d[sys.argv[2]]
        print("" if v is None else v)
' "$1" "$2"
}

state_is() { [ "$(json_field "$1" state)" = "$2" ]; }
console_has() { "$PVCTL" console --dump "$1" 2>/dev/null | grep -qF -- "$2"; }
domain_gone() { ! "$PVCTL" list --json | grep -q "\"name\": \"$1\""; }
pvhv_pid() { cat "$RUNDIR/pvhv.pid"; }
pvhv_fds() { ls "/proc/$(pvhv_pid)/fd" | wc -l; }
# daemon_fds NAME: how many descriptors host daemon NAME has open.
daemon_fds() { ls "/proc/$(cat "$RUNDIR/$1.pid")/fd" | wc -l; }
# fds_at_most NAME COUNT: NAME has COUNT descriptors or fewer. A daemon
# closes a domain's descriptors when it notices the domain gone, which can
# be after pvctl returned: poll it with wait_until.
fds_at_most() { [ "$(daemon_fds "$1")" -le "$2" ]; }
# runner_pids [DIR]: the runners of a run directory (default ours):
# pvhv-runner processes chrooted into DIR/empty, which may have been
# removed. Their command lines name no path: the guest could read it.
runner_pids() {
	local dir=${1:-$RUNDIR} p root
	for p in $(pgrep -x pvhv-runner); do
		root=$(readlink "/proc/$p/root" 2>/dev/null)
		case "$root" in
		"$dir/empty" | "$dir/empty (deleted)") echo "$p" ;;
		esac
	done
	return 0
}
runners() { runner_pids "$@" | wc -l; }

start_host() {
	"$PVCTL" host start "$@" >/dev/null || { fail "host start"; exit 1; }
}

# pattern_sha SEED SECTORS: the sha256 of what pvos's init=blk-fill writes
# (pvfront/kernel/workloads/blk.c), computed on the host.
pattern_sha() {
	python3 - "$1" "$2" <<'PY'
import hashlib, struct, sys
seed, sectors = int(sys.argv[1]), int(sys.argv[2])
M = (1 << 64) - 1
def sm(z):
    z = (z + 0x9e3779b97f4a7c15) & M
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return z ^ (z >> 31)
h = hashlib.sha256()
for s in range(sectors):
    h.update(struct.pack('<64Q', *[sm(seed ^ (s * 64 + i)) for i in range(64)]))
print(h.hexdigest())
PY
}

# net_setup PREFIX: the network the network tests use. A bridge
# (PREFIX<pid>) for the guests' taps that carries no address in the
# host's namespace, and the test's own end of it: a veth from the bridge
# into a network namespace made for the test (svns<pid>), where eth0
# has the link-local $NET.1/16. Guests take $NET.2 and up. Sets BR, NS
# and NET; the EXIT trap removes both with the rest. Skips (77) when
# bridges or namespaces cannot be made.
net_setup() {
	BR=$1$$
	BR=${BR:0:15}
	NS=svns$$
	NET=169.254.$(($$ % 250 + 1))
	ip link add "$BR" type bridge || { echo "SKIP: cannot create a bridge"; exit 77; }
	trap 'net_teardown; cleanup' EXIT
	ip netns add "$NS" || { echo "SKIP: cannot create a network namespace"; exit 77; }
	ip link add "svh$$" type veth peer name eth0 netns "$NS" || exit 1
	ip link set "svh$$" master "$BR" up
	ip -n "$NS" addr add "$NET.1/16" dev eth0
	ip -n "$NS" link set lo up
	ip -n "$NS" link set eth0 up
	ip link set "$BR" up
}
net_teardown() {
	ip netns del "$NS" 2>/dev/null
	ip link del "svh$$" 2>/dev/null
	ip link del "$BR" 2>/dev/null
}
# in_ns COMMAND...: runs COMMAND in the test's network namespace.
in_ns() { ip netns exec "$NS" "$@"; }

# pyping COUNT ADDR [PATIENCE]: COUNT ICMP echoes from the test's
# namespace, each answered within 2 s with its own data, or it fails;
# prints the median round trip in milliseconds. With PATIENCE, first
# keeps pinging (a bounded poll) until one is answered or PATIENCE
# seconds have gone by.
pyping() {
	in_ns python3 - "$1" "$2" "${3:-0}" <<'PY'
import os, socket, struct, sys, time
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ident, seq, body = os.getpid() & 0xffff, 0, bytes(range(56))
def ping(timeout):
    global seq
    seq = (seq + 1) & 0xffff
    hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    s.sendto(struct.pack("!BBHHH", 8, 0, csum(hdr + body), ident, seq) + body, (sys.argv[2], 0))
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        s.settimeout(left)
        try:
            data = s.recv(2048)
        except socket.timeout:
            return False
        icmp = data[(data[0] & 15) * 4:]
        if icmp[0] == 0 and struct.unpack("!HH", icmp[4:8]) == (ident, seq):
            if icmp[8:] != body or csum(icmp) != 0:
                sys.exit("bad echo reply")
            return True
deadline = time.monotonic() + float(sys.argv[3])
while float(sys.argv[3]) and not ping(0.2):
    if time.monotonic() > deadline:
        sys.exit("no answer")
rtts = []
for _ in range(int(sys.argv[1])):
    t = time.perf_counter()
    if not ping(2):
        sys.exit("an echo request went unanswered")
    rtts.append(time.perf_counter() - t)
    time.sleep(0.02)
rtts.sort()
print("%.3f" % (rtts[len(rtts) // 2] * 1e3))
PY
}
