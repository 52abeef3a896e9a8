#!/bin/bash
# Data integrity over several queues, multi-page rings and indirect
# requests: blk-fill, blk-verify and blk-sha256 with blk-queues=4 (and 3),
# with and without persistent grants, checked against the host's view of
# the image; then, with pvblkback restarted with --max-persistent 32 (a
# tenth of what the guest uses), the same with persistent grants evicted
# from the LRU all along.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/blk-lib.sh"
start_host

img="$RUNDIR/disk.img"
truncate -s 32M "$img"
sectors=$((32 * 2048))
removed() { grep "vbd $1/51712: removed" "$RUNDIR/pvblkback.log"; }

check "blk-fill over 4 queues" run_guest fill "init=blk-fill seed=11 blk-queues=4" "$img"
check "it powered off" test "$REASON" = poweroff
check "the guest saw 4 queues" grep -q "connected (4 queues of 4-page rings, persistent grants)" "$RUNDIR/pvblkback.log"
check "the image holds the pattern" test "$(sha256sum "$img" | cut -d' ' -f1)" = "$(pattern_sha 11 $sectors)"
check "indirect requests were used" sh -c "grep -E 'removed \\([0-9]+ requests, [1-9][0-9]* indirect' '$RUNDIR/pvblkback.log'"
check "blk-verify over 4 queues, grants per request" run_guest verify "init=blk-verify seed=11 blk-queues=4 blk-persistent=0" "$img"
check "blk-verify: ok" console_has verify "blk-verify: ok"
check "4 queues without persistent grants" grep -q "connected (4 queues of 4-page rings, no persistent grants)" "$RUNDIR/pvblkback.log"
head -c $((32 * 1024 * 1024)) /dev/urandom | dd of="$img" conv=notrunc status=none
check "blk-sha256 over 3 queues" run_guest sha "init=blk-sha256 blk-queues=3" "$img"
check "the sha256 matches the host's" console_has sha "sha256 $(sha256sum "$img" | cut -d' ' -f1)"

# A small persistent grant cache: the LRU evicts all the time.
kill "$(bb_pid)"
gone() { ! [ -e "$RUNDIR/pvblkback.pid" ]; }
check "pvblkback stopped" wait_until 60 gone
"$SV_BUILDDIR/pvback/pvblkback" --rundir "$RUNDIR" --max-persistent 32 --poll-us 0 \
	>>"$RUNDIR/pvblkback.log" 2>&1 &
started() { [ -s "$RUNDIR/pvblkback.pid" ] && bb_alive; }
check "pvblkback restarted with --max-persistent 32" wait_until 60 started
check "blk-fill with a small cache" run_guest fill2 "init=blk-fill seed=12 blk-queues=2" "$img"
check "the image holds the pattern" test "$(sha256sum "$img" | cut -d' ' -f1)" = "$(pattern_sha 12 $sectors)"
check "blk-verify with a small cache" run_guest verify2 "init=blk-verify seed=12" "$img"
check "blk-verify: ok" console_has verify2 "blk-verify: ok"
check "grants were evicted" sh -c "grep -E 'removed \\(.*, [1-9][0-9]* persistent grants evicted' '$RUNDIR/pvblkback.log'"
check "no domain left" wait_until 60 no_domains
finish
