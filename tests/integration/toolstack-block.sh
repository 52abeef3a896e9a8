#!/bin/bash
# pvctl block-attach, block-detach and block-list against the real daemons:
# the vbd directories and their permissions (xenstore-utils), pvblkback
# taking the device up to InitWait, the refusals (missing image, target in
# use, image attached read-write elsewhere), a cooperative detach of a disk
# a running guest has connected, a guest that cannot answer (paused) with
# --timeout and --force, 100 attach/detach cycles that leak neither
# XenStore nodes nor pvblkback descriptors, and vbd directories removed
# while pvblkback probes them, which it must not bring back.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/toolstack-lib.sh"

command -v xenstore-ls >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
export XENSTORED_PATH="$RUNDIR/xenstored/socket"
start_host

img=$RUNDIR/data.img
img2=$RUNDIR/data2.img
truncate -s 16M "$img" "$img2"
bbfds() { ls "/proc/$(cat "$RUNDIR/pvblkback.pid")/fd" | wc -l; }

make_xml spin init=spin > "$RUNDIR/spin.xml"
make_xml spin2 init=spin > "$RUNDIR/spin2.xml"
check "create spin" "$PVCTL" create "$RUNDIR/spin.xml"
check "create spin2" "$PVCTL" create "$RUNDIR/spin2.xml"
id=$(json_field spin domid)
id2=$(json_field spin2 domid)
fe=/local/domain/$id/device/vbd/51728
be=/local/domain/0/backend/vbd/$id/51728
devs() { xenstore-ls /local/domain/$id/device 2>/dev/null; xenstore-ls /local/domain/0/backend/vbd/$id 2>/dev/null; }
devs_before=$(devs)

check "block-attach xvdb" "$PVCTL" block-attach spin "$img" xvdb
check "frontend backend key" test "$(xenstore-read $fe/backend)" = "$be"
check "frontend virtual-device" test "$(xenstore-read $fe/virtual-device)" = 51728
check "frontend starts Initialising" test "$(xenstore-read $fe/state)" = 1
check "backend params is the absolute path" test "$(xenstore-read $be/params)" = "$img"
check "backend mode w" test "$(xenstore-read $be/mode)" = w
check "backend dev" test "$(xenstore-read $be/dev)" = xvdb
check "backend frontend-id" test "$(xenstore-read $be/frontend-id)" = "$id"
check "frontend dir is the guest's, backend may read" test "$(perms $fe)" = "n$id,r0"
check "frontend keys too" test "$(perms $fe/state)" = "n$id,r0"
check "backend dir is dom0's, guest may read" test "$(perms $be)" = "n0,r$id"
check "backend keys too" test "$(perms $be/params)" = "n0,r$id"
check "pvblkback takes it to InitWait" wait_until 60 sh -c "test \"\$(xenstore-read $be/state)\" = 2"
check "block-list shows it" sh -c "'$PVCTL' block-list spin | grep -q '^51728 *xvdb *w *Initialising *InitWait *$img'"
check "block-list --json" sh -c "'$PVCTL' block-list --json spin | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0][\"target\"]==\"xvdb\" and d[0][\"backend_state\"]==\"InitWait\"'"

check "a missing image is refused" out_has "cannot find the image $RUNDIR/nope.img" \
	"$PVCTL" block-attach spin "$RUNDIR/nope.img" xvdc
check "a used target is refused" out_has "domain spin already has a disk at xvdb" \
	"$PVCTL" block-attach spin "$img2" xvdb
check "the same image twice on one domain is refused" out_has "already attached to domain spin" \
	"$PVCTL" block-attach spin "$img" xvdc
check "an image attached read-write elsewhere is refused" out_has "already attached to domain $id (spin)" \
	"$PVCTL" block-attach spin2 "$img" xvdb
check "also read-only" out_has "already attached read-write to domain $id (spin)" \
	"$PVCTL" block-attach spin2 "$img" xvdb ro
check "unless shareable" "$PVCTL" block-attach spin2 "$img" xvdb shareable
check "an emulated target is refused" out_has "is not a PV disk target" \
	"$PVCTL" block-attach spin "$img2" hdb
check "an unknown domain is refused" out_has "no domain 'nobody'" \
	"$PVCTL" block-attach nobody "$img2" xvdc
check "detach of a disk that is not there" out_has "domain spin has no disk xvdq" \
	"$PVCTL" block-detach spin xvdq
check "read-only attach" "$PVCTL" block-attach spin "$img2" xvdc ro
check "read-only on another domain too" "$PVCTL" block-attach spin2 "$img2" xvdc ro
check "detach the shared one" "$PVCTL" block-detach spin2 xvdb
check "mode r" test "$(xenstore-read /local/domain/0/backend/vbd/$id2/51744/mode)" = r

check "detach xvdb (never connected: at once)" "$PVCTL" block-detach spin xvdb
check "its frontend dir is gone" sh -c "! xenstore-exists $fe"
check "its backend dir is gone" sh -c "! xenstore-exists $be"
check "detach by vbd number" "$PVCTL" block-detach spin 51744
check "detach on spin2" "$PVCTL" block-detach spin2 xvdc
check "no vbd left" test "$(devs)" = "$devs_before"

bb_before=$(bbfds)
for i in $(seq 100); do
	"$PVCTL" block-attach spin "$img" xvdb >/dev/null && "$PVCTL" block-detach spin xvdb >/dev/null || break
done
check "100 attach/detach cycles" test "$i" -eq 100
check "no XenStore node left" test "$(devs)" = "$devs_before"
check "pvblkback closed every image" wait_until 60 sh -c "test \$(ls /proc/$(cat "$RUNDIR/pvblkback.pid")/fd | wc -l) -le $bb_before"
check "pvblkback still serves" sh -c "kill -0 $(cat "$RUNDIR/pvblkback.pid")"
"$PVCTL" destroy spin >/dev/null
"$PVCTL" destroy spin2 >/dev/null

# busy_guest NAME: a guest that keeps its disk busy, created, its disk connected.
busy_guest() {
	make_xml "$1" "init=blkbench ms=60000" "<on_crash>preserve</on_crash>
  <devices><disk type='file'><source file='$img'/><target dev='xvda'/></disk></devices>" > "$RUNDIR/$1.xml"
	check "create $1" "$PVCTL" create "$RUNDIR/$1.xml"
	check "its disk connects" wait_until 60 sh -c "'$PVCTL' block-list $1 | grep -q 'xvda *w *Connected *Connected'"
}

# A guest using its disk: the detach is cooperative, no --force needed.
truncate -s 64M "$img"
busy_guest busy
bid=$(json_field busy domid)
out=$("$PVCTL" block-detach --timeout 120 busy xvda 2>&1)
check "the guest releases its disk" test "$out" = "Detached xvda from domain busy."
check "the guest saw its disk go (blkbench stops)" wait_until 60 state_is busy crashed
# Removed only after pvblkback followed to Closed, so nothing recreates it.
check "pvblkback removed the device" wait_until 60 grep -q "vbd $bid/51712: removed" "$RUNDIR/pvblkback.log"
check "no backend node was left or recreated" sh -c "! xenstore-exists /local/domain/0/backend/vbd/$bid/51712"
check "destroy busy" "$PVCTL" destroy busy

# A guest that cannot answer (paused): the timeout, then --force.
busy_guest busy2
b2=$(json_field busy2 domid)
check "pause busy2" "$PVCTL" pause busy2
check "detach times out and says what to do" out_has "pvctl block-detach --force busy2 xvda" \
	"$PVCTL" block-detach --timeout 1 busy2 xvda
check "the backend is Closing" test "$(xenstore-read /local/domain/0/backend/vbd/$b2/51712/state)" = 5
check "--force removes it" "$PVCTL" block-detach --timeout 1 --force busy2 xvda
check "its nodes are gone" sh -c "! xenstore-exists /local/domain/0/backend/vbd/$b2/51712"
check "pvblkback let go" wait_until 60 grep -q "vbd $b2/51712: removed" "$RUNDIR/pvblkback.log"
check "destroy busy2" "$PVCTL" destroy busy2
check "no runner left" test "$(runners)" -eq 0

# pvblkback not running: the attach is written, pvctl says nothing serves
# it yet, and pvblkback takes it up when it starts.
check "create spin once more" "$PVCTL" create "$RUNDIR/spin.xml"
sid=$(json_field spin domid)
kill "$(cat "$RUNDIR/pvblkback.pid")"
wait_until 60 sh -c "! kill -0 $(cat "$RUNDIR/pvblkback.pid") 2>/dev/null"
out=$("$PVCTL" block-attach spin "$img2" xvdb 2>&1)
check "attach without pvblkback says so" sh -c "printf '%s' \"\$1\" | grep -q 'pvblkback is not running, so nothing serves the disk yet (pvctl host start starts it)'" _ "$out"
check "host start brings pvblkback back" "$PVCTL" host start
check "it takes the disk to InitWait" wait_until 60 sh -c "test \"\$(xenstore-read /local/domain/0/backend/vbd/$sid/51728/state)\" = 2"
check "detach it" "$PVCTL" block-detach spin xvdb
check "destroy spin" "$PVCTL" destroy spin

# A vbd directory removed while pvblkback probes it (a destroy racing the
# probe) is not brought back as lone nodes: 300 written and removed at
# once, then one more, which pvblkback takes to InitWait only after it
# handled the others (one thread, in order).
vbd_dir() {	# vbd_dir DOMID: a backend directory as create writes one
	local b=/local/domain/0/backend/vbd/$1/51712
	xenstore-write $b/frontend /local/domain/$1/device/vbd/51712 $b/frontend-id "$1" \
		$b/params "$img" $b/mode w $b/state 1 $b/online 1
}
for i in $(seq 1001 1300); do
	vbd_dir "$i" && xenstore-rm /local/domain/0/backend/vbd/$i || break
done
vbd_dir 2000
check "pvblkback probes the last one" wait_until 120 sh -c "test \"\$(xenstore-read /local/domain/0/backend/vbd/2000/51712/state)\" = 2"
check "no removed directory came back" test -z "$(xenstore-list /local/domain/0/backend/vbd | grep -vx 2000)"
xenstore-rm /local/domain/0/backend/vbd/2000
finish
