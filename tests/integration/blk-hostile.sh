#!/bin/bash
# A hostile frontend on a live ring (init=blk-hostile: segment counts over
# the limit, bad grant refs, garbage and out-of-range indirect pages, a
# frontend that never takes responses, a producer index beyond the ring)
# while a second guest fills and verifies its own disk: the bad requests
# get error responses, the lying ring gets its device closed, the honest
# guest's data is intact, and pvblkback keeps running with as many
# descriptors and threads as before.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/blk-lib.sh"
start_host

honest="$RUNDIR/honest.img"
hostile="$RUNDIR/hostile.img"
truncate -s 64M "$honest"
head -c $((4 * 1024 * 1024)) /dev/urandom > "$hostile"
fds0=$(bb_fds)
threads0=$(bb_threads)

check "an honest guest starts filling its disk" boot honest "init=blk-fill seed=3 blk-queues=2" "$honest"
check "a hostile guest starts" boot hostile "init=blk-hostile" "$hostile"
check "the hostile guest is done" wait_until 120 state_is hostile shutdown
check "the honest guest is done" wait_until 120 state_is honest shutdown
check "the honest fill worked" test "$(json_field honest reason)" = poweroff
dump() { "$PVCTL" console --dump hostile; }
dump | grep '^blk-hostile' | sed 's/^/# /'
check "nr_segments over the limit: errors" console_has hostile "blk-hostile: nseg: status -1 status -1 status -1"
check "bad grant refs: errors" console_has hostile "blk-hostile: gref: status -1 status -1 status -1"
check "a garbage page of segments: error" console_has hostile "blk-hostile: indirect-garbage: status -1"
check "first_sect > last_sect: error" console_has hostile "blk-hostile: indirect-first-after-last: status -1"
check "a segment past its page: error" console_has hostile "blk-hostile: indirect-past-page: status -1"
check "sectors past the end: error" console_has hostile "blk-hostile: indirect-past-end: status -1"
check "a good indirect request still works" console_has hostile "blk-hostile: indirect-good: status 0"
check "responses never taken: all answered" sh -c "'$PVCTL' console --dump hostile | grep -qE 'blk-hostile: noconsume: ([0-9]+) requests, \\1 answered'"
check "a producer index beyond the ring: device closed" console_has hostile "blk-hostile: prod: the backend is Closing"
check "pvblkback says why" grep -q "request producer index is beyond the ring" "$RUNDIR/pvblkback.log"
check "pvblkback still runs" bb_alive
"$PVCTL" destroy hostile >/dev/null
"$PVCTL" destroy honest >/dev/null

check "the honest disk verifies" run_guest verify "init=blk-verify seed=3" "$honest"
check "blk-verify: ok" console_has verify "blk-verify: ok"
check "the host sees the pattern" test "$(sha256sum "$honest" | cut -d' ' -f1)" = "$(pattern_sha 3 $((64 * 2048)))"
fds_back() { [ "$(bb_fds)" -eq "$fds0" ]; }
threads_back() { [ "$(bb_threads)" -eq "$threads0" ]; }
check "no domain left" wait_until 60 no_domains
check "pvblkback's descriptors are back to $fds0" wait_until 60 fds_back
check "pvblkback's threads are back to $threads0" wait_until 60 threads_back
finish
