#!/bin/bash
# A guest whose blkfront hands pvblkback as many distinct grant refs as it
# will keep mapped (init=blk-grants: 1056 refs on each of 4 queues, 4224
# mappings, more than all of dom0 once had room for), beside an honest
# guest doing disk I/O (init=blk-rounds): dom0's mappings of a guest's
# grants come out of that guest's own share, so the honest guest's disk
# keeps working and a new guest can still be created, get its XenStore
# and console rings mapped, and fill its disk.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/blk-lib.sh"
start_host

honest="$RUNDIR/honest.img"
hostile="$RUNDIR/hostile.img"
fresh="$RUNDIR/fresh.img"
truncate -s 16M "$honest" "$hostile" "$fresh"
REASON=none

# The last round the honest guest reported.
rounds() {
	"$PVCTL" console --dump honest 2>/dev/null | sed -n 's/^blk-rounds: round \([0-9]*\) ok$/\1/p' | tail -1
}
rounds_past() { [ "$(rounds)" -ge "$1" ] 2>/dev/null; }

check "an honest guest starts its disk rounds" boot honest "init=blk-rounds blk-queues=4" "$honest"
check "its rounds go" wait_until 60 rounds_past 16
check "a guest that grants many refs per queue starts" boot hostile "init=blk-grants blk-queues=4" "$hostile"
check "it has sent them all on 4 queues" wait_until 120 console_has hostile "blk-grants: holding"
"$PVCTL" console --dump hostile | grep '^blk-grants' | sed 's/^/# /'
check "it used 4 queues" console_has hostile "blk-grants: 1056 refs for one page, 4 queues"
# 4224 mappings are within its share: all legal, all served.
for q in 0 1 2 3; do
	check "queue $q: every request mapped and answered" console_has hostile "blk-grants: queue $q: 96 requests, 96 ok, 0 errors"
done
check "it still runs, its grants mapped" state_is hostile running

now=$(rounds)
check "the honest guest's disk keeps working (past round $now)" wait_until 60 rounds_past $((now + 16))
check "with no failed round" sh -c "! '$PVCTL' console --dump honest | grep -q 'failed'"
check "a new guest starts and fills its disk" run_guest fresh "init=blk-fill seed=5 blk-queues=4" "$fresh" 120
check "it powered off" test "$REASON" = poweroff
check "its disk holds the pattern" test "$(sha256sum "$fresh" | cut -d' ' -f1)" = "$(pattern_sha 5 $((16 * 2048)))"
check "the honest guest still runs" state_is honest running
check "the hostile guest still runs" state_is hostile running
check "pvblkback still runs" bb_alive
"$PVCTL" destroy hostile >/dev/null
"$PVCTL" destroy honest >/dev/null
check "no domain left" wait_until 20 no_domains
finish
