#!/bin/bash
# A backing file on a filesystem that fills up: blk-fill's writes past the
# free space fail with an I/O error the guest sees (it stops and says at
# which sector), pvblkback logs the ENOSPC, and everything the guest was
# told had been written is on the image: no silent corruption.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/blk-lib.sh"

small="$RUNDIR/small"
mkdir "$small"
mount -t tmpfs -o size=4m tmpfs "$small" 2>/dev/null || { echo "SKIP: cannot mount a tmpfs"; exit 77; }
# The daemons let go of the image before the file system goes.
trap '"$PVCTL" host stop >/dev/null 2>&1; umount "$small" 2>/dev/null; cleanup' EXIT
start_host

img="$small/disk.img"
truncate -s 16M "$img"
run_guest fill "init=blk-fill seed=5" "$img"
check "blk-fill stopped with an error" test "$REASON" = crash
"$PVCTL" console --dump fill | grep '^blk-fill' | sed 's/^/# /'
check "the guest saw an I/O error" sh -c "'$PVCTL' console --dump fill | grep -qE '^blk-fill: write at sector [0-9]+ failed \\(-5\\)'"
check "pvblkback says the disk is full" grep -q "No space left on device" "$RUNDIR/pvblkback.log"
bad=$("$PVCTL" console --dump fill | sed -n 's/^blk-fill: write at sector \([0-9]*\) failed.*/\1/p')
echo "# the first failed write was at sector ${bad:-?}"
check "some writes succeeded first" test "${bad:-0}" -gt 0
check "every acknowledged sector holds the pattern" test "$(prefix_sha "$img" "${bad:-0}")" = "$(pattern_sha 5 "${bad:-0}")"
check "pvblkback still runs" bb_alive
check "no domain left" wait_until 60 no_domains
finish
