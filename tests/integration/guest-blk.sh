#!/bin/bash
# blkfront against the real pvblkback: the xenbus handshake, reads and
# writes of the whole disk checked against the host's view of the image,
# flush, persistent grants, and an orderly close; then blkbench's output
# format.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/blk-lib.sh"
start_host

# run_guest NAME CMDLINE IMAGE: boot it, wait for it to power off, note
# both ends' xenbus states, destroy it (which frees the disk; the console
# log stays). Replaces blk-lib.sh's.
run_guest() {
	local id reason
	disk_xml "$1" "$2" "$3" > "$RUNDIR/$1.xml"
	"$PVCTL" create "$RUNDIR/$1.xml" >/dev/null || return 1
	wait_until 120 state_is "$1" shutdown || return 1
	reason=$(json_field "$1" reason)
	id=$(json_field "$1" domid)
	STATES="$(xenstore-read "/local/domain/$id/device/vbd/51712/state" \
		"/local/domain/0/backend/vbd/$id/51712/state" 2>/dev/null | tr '\n' ' ')"
	"$PVCTL" destroy "$1" >/dev/null
	[ "$reason" = poweroff ]
}

img="$RUNDIR/disk.img"
head -c $((4 * 1024 * 1024 + 512 * 7)) /dev/urandom > "$img"
sectors=$(( $(stat -c %s "$img") / 512 ))
check "blk-sha256 runs" run_guest sha "init=blk-sha256" "$img"
check "the guest found the disk" console_has sha "blk: vbd 51712: $sectors sectors"
check "persistent grants were used" console_has sha "persistent grants"
check "sha256 matches the host's" console_has sha "sha256 $(sha256sum "$img" | cut -d' ' -f1)"
check "both ends closed before poweroff" test "$STATES" = "6 6 "

check "blk-sha256 without persistent grants" run_guest sha2 "init=blk-sha256 blk-persistent=0" "$img"
check "grants were per request" console_has sha2 "grants per request"
check "same sha256" console_has sha2 "sha256 $(sha256sum "$img" | cut -d' ' -f1)"

check "blk-fill seed=7 runs" run_guest fill "init=blk-fill seed=7" "$img"
check "blk-fill says what it wrote" console_has fill "blk-fill: $sectors sectors written with seed 7 and flushed"
check "the image holds the pattern" test "$(sha256sum "$img" | cut -d' ' -f1)" = "$(pattern_sha 7 "$sectors")"
check "blk-verify seed=7 runs" run_guest verify "init=blk-verify seed=7 blk-persistent=0" "$img"
check "blk-verify: ok" console_has verify "blk-verify: ok"

# One sector changed behind the guest's back is found.
printf 'spoil' | dd of="$img" bs=512 seek=1234 conv=notrunc status=none
check "blk-verify runs again" run_guest verify2 "init=blk-verify seed=7" "$img"
check "it names the bad sector" console_has verify2 "blk-verify: bad sector 1234 word 0"
check "blk-verify with the wrong seed fails at 0" run_guest verify3 "init=blk-verify seed=8" "$img"
check "at sector 0" console_has verify3 "blk-verify: bad sector 0 "

bench="$RUNDIR/bench.img"
truncate -s 64M "$bench"
check "blkbench runs" run_guest bench "init=blkbench ms=20" "$bench"
"$PVCTL" console --dump bench | grep '^blkbench: op=' | sed 's/^/# /'
check "one line per case" test "$("$PVCTL" console --dump bench | grep -cE '^blkbench: op=(seq|rand)(read|write) bs=[0-9]+ qd=[0-9]+ iops=[0-9]+ mib_s=[0-9]+\.[0-9] lat_us_p50=[0-9]+$')" -eq 36
check "blkbench done" console_has bench "blkbench: done"
check "blkbench with chosen cases" run_guest bench2 "init=blkbench ms=10 ops=randread,seqwrite bs=8192,262144 qd=2,16" "$bench"
check "gives 8 lines" test "$("$PVCTL" console --dump bench2 | grep -c '^blkbench: op=')" -eq 8
check "of those cases" test "$("$PVCTL" console --dump bench2 | grep -cE '^blkbench: op=(randread|seqwrite) bs=(8192|262144) qd=(2|16) ')" -eq 8
# The backend closing the device by itself (it restarted it) is followed
# down and up again: the guest goes Closing, Closed, Initialising,
# connects again and issues what was outstanding on the new ring, so the
# benchmark's I/O neither fails nor gets lost.
disk_xml busy "init=blkbench ms=3000 ops=randwrite,randread bs=65536 qd=8" "$bench" > "$RUNDIR/busy.xml"
check "create a busy guest" "$PVCTL" create "$RUNDIR/busy.xml"
check "it is doing I/O" wait_until 60 console_has busy "blkbench: 131072 sectors"
id=$(json_field busy domid)
xenstore-write "/local/domain/0/backend/vbd/$id/51712/state" 5
reconnected() { [ "$(grep -c "vbd $id/51712: connected" "$RUNDIR/pvblkback.log")" -ge 2 ]; }
check "the backend connected a second time" wait_until 60 reconnected
check "the guest finished its I/O" wait_until 60 state_is busy shutdown
check "no I/O failed" console_has busy "blkbench: done"
check "and it powered off" test "$(json_field busy reason)" = poweroff
"$PVCTL" destroy busy >/dev/null

no_runners() { [ "$(runners)" -eq 0 ]; }
check "no runner left" wait_until 60 no_runners
check "no domain left" test "$("$PVCTL" list --json)" = "[]"
finish
