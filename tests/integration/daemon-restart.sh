#!/bin/bash
# Daemons that come back (docs/architecture.md, "Daemons that come back"):
# kill -9 of pvblkback under a guest's writes, of pvnetback under a
# guest's traffic and of pvconsoled under a guest's console; each time
# `pvctl host status` names the dead daemon, `pvctl host start` starts
# that one alone, and the guests carry on: every write the guest was told
# was done is on the image (checked from the host), pings are answered
# again, the console answers again. Then kill -9 of pvhv: every guest is
# gone, the daemons release what they mapped of them, and `pvctl host
# start` gives a clean host that boots a guest.
#
# It makes a bridge and taps: run it under /tmp/sv-net.lock, as the other
# network tests (tests/README.md).
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/blk-lib.sh"

command -v ip >/dev/null || { echo "SKIP: iproute2 not installed"; exit 77; }
[ -c /dev/net/tun ] || { echo "SKIP: no /dev/net/tun"; exit 77; }
net_setup svrs
start_host

pid_of() { cat "$RUNDIR/$1.pid" 2>/dev/null; }
# status_says DAEMON WORDS: host status's line for it starts with WORDS.
status_says() { "$PVCTL" host status | grep -q "^$1 *$2"; }
# Kills DAEMON with SIGKILL and waits until its process has exited (it
# may stay a zombie: nothing here reaps the daemons).
kill9() {
	local pid
	pid=$(pid_of "$1")
	kill -KILL "$pid"
	wait_until 20 sh -c "! [ -d /proc/$pid ] || grep -q '^State:.*Z' /proc/$pid/status"
}
# restart_only DAEMON: host start says it starts DAEMON, and nothing else.
restart_only() {
	local out
	out=$("$PVCTL" host start 2>&1) || { echo "$out"; return 1; }
	echo "$out" | sed 's/^/# /'
	echo "$out" | grep -q "^$1 was dead" && echo "$out" | grep -q "^$1 started" &&
		[ "$(echo "$out" | grep -c ' started ')" -eq 1 ] &&
		[ "$(echo "$out" | grep -c 'is already running')" -eq 4 ]
}
# since T0: seconds since the date +%s.%N in T0, for the record (nothing
# asserts on time).
since() { python3 -c 'import sys, time; print("%.2f" % (time.time() - float(sys.argv[1])))' "$1"; }
# maps_guest PID: the process maps some guest's memory.
maps_guest() { grep -q 'memfd:splitvisor-dom' "/proc/$1/maps" 2>/dev/null; }

# ---- pvblkback, under a guest's writes ----
img="$RUNDIR/fill.img"
truncate -s 256M "$img"
sectors=$(( $(stat -c %s "$img") / 512 ))
# sector_written N: sector N of the image holds the fill pattern (seed 5).
sector_written() {
	python3 - "$img" "$1" <<'PY'
import struct, sys
M = (1 << 64) - 1
def sm(z):
    z = (z + 0x9e3779b97f4a7c15) & M
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return z ^ (z >> 31)
s = int(sys.argv[2])
with open(sys.argv[1], "rb") as f:
    f.seek(s * 512)
    data = f.read(512)
sys.exit(0 if data == struct.pack('<64Q', *[sm(5 ^ (s * 64 + i)) for i in range(64)]) else 1)
PY
}
boot fill "init=blk-fill seed=5" "$img"
fill_id=$(json_field fill domid)
check "the guest is writing" wait_until 60 sector_written 4096
bb_before=$(pid_of pvblkback)
t0=$(date +%s.%N)
kill9 pvblkback
check "it was still writing when pvblkback died" sh -c "! '$PVCTL' console --dump fill | grep -q 'blk-fill:'"
check "host status: pvblkback is dead" status_says pvblkback dead
check "host status: the others run" sh -c "'$PVCTL' host status | grep -c ' running (pid' | grep -qx 4"
check "host status fails while one is down" sh -c "! '$PVCTL' host status >/dev/null"
check "host start starts pvblkback alone" restart_only pvblkback
check "a new pvblkback" test "$(pid_of pvblkback)" != "$bb_before"
check "it answers" status_says pvblkback running
check "it restarted the guest's device" \
	grep -q "vbd $fill_id/51712: found in state 4 (frontend 4) from an earlier pvblkback" "$RUNDIR/pvblkback.log"
vbd_connects() { [ "$(grep -c "vbd $fill_id/51712: connected" "$RUNDIR/pvblkback.log")" -ge 2 ]; }
check "blkfront connected again to the new pvblkback" wait_until 60 vbd_connects
echo "# $(since "$t0") s from kill -9 of pvblkback to the guest's disk connected again"
check "the guest finished its writes" wait_until 120 stopped fill
check "without an I/O error" console_has fill "blk-fill: $sectors sectors written with seed 5 and flushed"
check "it powered off" test "$(json_field fill reason)" = poweroff
"$PVCTL" destroy fill >/dev/null
check "the host's image holds every sector of the pattern" \
	test "$(sha256sum "$img" | cut -d' ' -f1)" = "$(pattern_sha 5 "$sectors")"
rm -f "$img"

# ---- a daemon alive but not answering is told from a dead one ----
bb=$(pid_of pvblkback)
kill -STOP "$bb"
check "host status: a stopped pvblkback is not answering" status_says pvblkback "not answering (pid $bb is alive"
check "host start names it and starts nothing" sh -c "! '$PVCTL' host start 2>&1 | grep -q started"
kill -CONT "$bb"
check "it answers again" status_says pvblkback running

# ---- pvnetback, under a guest's traffic ----
make_xml net "init=net-echo ip=$NET.2" "<on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash>
  <devices><interface type='bridge'><mac address='02:16:3e:00:02:02'/><source bridge='$BR'/></interface></devices>" \
	> "$RUNDIR/net.xml"
check "create a guest with a vif" "$PVCTL" create "$RUNDIR/net.xml"
net_id=$(json_field net domid)
check "net-echo is ready" wait_until 30 console_has net "net-echo: ready"
check "ping it" pyping 3 "$NET.2"
# Traffic while pvnetback dies and comes back: pings that go unanswered
# meanwhile are fine; the ones after the restart must be answered.
in_ns python3 - "$NET.2" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(400):
    s.sendto(b"x" * 200, (sys.argv[1], 7))
    time.sleep(0.005)
PY
traffic=$!
nb_before=$(pid_of pvnetback)
t0=$(date +%s.%N)
kill9 pvnetback
check "host status: pvnetback is dead" status_says pvnetback dead
check "the tap went with it" wait_until 20 sh -c "! ip link show vif$net_id.0 >/dev/null 2>&1"
check "host start starts pvnetback alone" restart_only pvnetback
check "a new pvnetback" test "$(pid_of pvnetback)" != "$nb_before"
check "it took the guest's rings over" grep -q "vif $net_id/0: connected by an earlier pvnetback" "$RUNDIR/pvnetback.log"
check "the tap is back on the bridge" sh -c "ip -o link show vif$net_id.0 | grep -q 'master $BR'"
check "backend still Connected" test "$(xenstore-read "/local/domain/0/backend/vif/$net_id/0/state")" = 4
check "frontend still Connected" test "$(xenstore-read "/local/domain/$net_id/device/vif/0/state")" = 4
# The bridge relearns the guest's MAC from its first answer.
check "pings are answered again" pyping 1 "$NET.2" 60
echo "# $(since "$t0") s from kill -9 of pvnetback to the first ping answered again"
check "and keep being answered" pyping 20 "$NET.2"
wait "$traffic"

# ---- pvconsoled, under a guest's console ----
boot_echo() {
	make_xml "$1" "init=echo" > "$RUNDIR/$1.xml"
	"$PVCTL" create "$RUNDIR/$1.xml" >/dev/null
}
check "create a guest that echoes its console" boot_echo con
check "it is ready" wait_until 20 console_has con "echo: ready"
check "it answers before" sh -c "printf 'before\n' | timeout 20 '$PVCTL' console con >/dev/null 2>&1; true"
check "the log has the answer" wait_until 20 console_has con "echo: before"
kill9 pvconsoled
check "host status: pvconsoled is dead" status_says pvconsoled dead
check "the log still reads without it" console_has con "echo: before"
check "host start starts pvconsoled alone" restart_only pvconsoled
check "it attached every console again" \
	sh -c "'$PVCTL' host status | grep -q '^pvconsoled *running (pid [0-9]*, 2 consoles)'"
out=$(printf 'after the restart\n' | timeout 20 "$PVCTL" console con 2>&1)
check "pvctl console works again" sh -c "printf '%s' \"\$1\" | grep -q 'echo: after the restart'" _ "$out"
check "the log continues" wait_until 20 console_has con "echo: after the restart"
check "and still has what came before" console_has con "echo: before"

# ---- pvhv: every guest goes with it ----
img2="$RUNDIR/fill2.img"
truncate -s 256M "$img2"
boot fill2 "init=blk-fill seed=6" "$img2"
check "a guest writes its disk" wait_until 60 status_says pvblkback "running (pid [0-9]*, 1 device, 1 connected)"
check "the guests run" sh -c "'$PVCTL' list --json | grep -c '\"state\": \"running\"' | grep -qx 3"
bb=$(pid_of pvblkback)
nb=$(pid_of pvnetback)
cd_pid=$(pid_of pvconsoled)
check "pvblkback maps the guest" maps_guest "$bb"
check "pvnetback maps the guest" maps_guest "$nb"
check "pvconsoled maps the guests" maps_guest "$cd_pid"
kill9 pvhv
no_runners() { [ "$(runners)" -eq 0 ]; }
check "every guest died with pvhv" wait_until 30 no_runners
check "pvblkback released its guest" wait_until 30 sh -c "! grep -q 'memfd:splitvisor-dom' /proc/$bb/maps"
check "and says so" grep -q "pvhv went away" "$RUNDIR/pvblkback.log"
check "pvnetback released its guest" wait_until 30 sh -c "! grep -q 'memfd:splitvisor-dom' /proc/$nb/maps"
check "and says so" grep -q "pvhv went away" "$RUNDIR/pvnetback.log"
check "pvconsoled released the consoles" wait_until 30 sh -c "! grep -q 'memfd:splitvisor-dom' /proc/$cd_pid/maps"
check "and says so" grep -q "pvhv went away" "$RUNDIR/pvconsoled.log"
check "host status: pvhv is dead" status_says pvhv dead
out=$("$PVCTL" host start 2>&1)
echo "$out" | sed 's/^/# /'
check "host start starts everything afresh" test "$(echo "$out" | grep -c ' started (pid')" -eq 5
check "and says why" sh -c "printf '%s' \"\$1\" | grep -q '^pvhv was not running, so no guest survived'" _ "$out"
check "every daemon runs" "$PVCTL" host status
check "no domain" no_domains
check "no guest's node in XenStore" sh -c "! xenstore-list /local/domain 2>/dev/null | grep -vqx 0"
check "no backend device left" sh -c "! xenstore-list /local/domain/0/backend/vif /local/domain/0/backend/vbd 2>/dev/null | grep -q ."
check "no tap left" wait_until 20 sh -c "! ip link show vif$net_id.0 >/dev/null 2>&1"
no_daemon_maps_guests() {
	for d in pvhv pvxenstored pvconsoled pvblkback pvnetback; do
		! maps_guest "$(pid_of $d)" || return 1
	done
}
check "no daemon maps a guest's memory" no_daemon_maps_guests
check "a guest boots on the new host" boot_echo con2
check "and its console answers" wait_until 20 console_has con2 "echo: ready"
"$PVCTL" destroy con2 >/dev/null

# What a pvxenstored that kept its store across a pvhv crash would hold:
# domains pvhv does not know are released whenever pvxenstored starts
# (host start and host wait run the same step).
xenstore-write /local/domain/77/name ghost /local/domain/0/backend/vbd/77/51712/state 4
out=$("$PVCTL" host wait pvxenstored 2>&1)
check "host wait pvxenstored releases a domain pvhv does not know" \
	sh -c "printf '%s' \"\$1\" | grep -q 'released domain 77 from XenStore'" _ "$out"
check "its nodes are gone" sh -c "! xenstore-read /local/domain/77/name 2>/dev/null"
check "and its backend directory" sh -c "! xenstore-read /local/domain/0/backend/vbd/77/51712/state 2>/dev/null"
finish
