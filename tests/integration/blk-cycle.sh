#!/bin/bash
# 1000 connect/disconnect cycles of one disk from one guest (init=blk-cycle):
# every cycle runs the whole handshake and a read; afterwards pvblkback
# holds as many descriptors and threads, and pvhv as many descriptors, as
# after 2 cycles, and as before the guest once it is gone.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/blk-lib.sh"
start_host

img="$RUNDIR/disk.img"
head -c $((1024 * 1024)) /dev/urandom > "$img"
fds0=$(bb_fds)
threads0=$(bb_threads)
hvfds0=$(pvhv_fds)

# cycles NAME N: run N cycles; note the counts while the guest still exists.
cycles() {
	boot "$1" "init=blk-cycle n=$2" "$img" || return 1
	wait_until 600 state_is "$1" shutdown || return 1
	FDS=$(bb_fds)
	THREADS=$(bb_threads)
	HVFDS=$(pvhv_fds)
	[ "$(json_field "$1" reason)" = poweroff ]
}
check "2 cycles" cycles two 2
check "they worked" console_has two "blk-cycle: 2 cycles ok"
fds2=$FDS threads2=$THREADS hvfds2=$HVFDS
"$PVCTL" destroy two >/dev/null
check "1000 cycles" cycles many 1000
check "they worked" console_has many "blk-cycle: 1000 cycles ok"
echo "# pvblkback fds $fds0/$fds2/$FDS, threads $threads0/$threads2/$THREADS, pvhv fds $hvfds0/$hvfds2/$HVFDS"
check "pvblkback's descriptors did not grow" test "$FDS" -eq "$fds2"
check "nor its threads" test "$THREADS" -eq "$threads2"
# pvhv closes each pvctl connection when it sees it end, maybe after
# pvctl exited: its count is polled, with the guest still there.
check "nor pvhv's descriptors" wait_until 120 fds_at_most pvhv "$hvfds2"
check "both sides saw every cycle" test "$(grep -c "vbd $(json_field many domid)/51712: connected" "$RUNDIR/pvblkback.log")" -eq 1000
"$PVCTL" destroy many >/dev/null
fds_back() { [ "$(bb_fds)" -eq "$fds0" ] && [ "$(bb_threads)" -eq "$threads0" ]; }
hv_back() { [ "$(pvhv_fds)" -eq "$hvfds0" ]; }
check "no domain left" wait_until 60 no_domains
check "pvblkback is back to $fds0 descriptors and $threads0 threads" wait_until 60 fds_back
check "pvhv is back to $hvfds0 descriptors" wait_until 60 hv_back
finish
