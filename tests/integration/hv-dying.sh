#!/bin/bash
# A domain destroyed while dom0 still maps one of its grants stays
# "dying", keeps its memory, and goes the moment the mapping is released;
# pvctl destroy waits for it (bounded) and says what holds it.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/toolstack-lib.sh"

HOLD="$SV_BUILDDIR/tests/integration/gnt-hold"
start_host
make_xml victim init=idle > "$RUNDIR/victim.xml"
check "create victim" "$PVCTL" create "$RUNDIR/victim.xml"
id=$(json_field victim domid)
mkfifo "$RUNDIR/hold.in"
"$HOLD" "$RUNDIR" "$id" 0 < "$RUNDIR/hold.in" > "$RUNDIR/hold.out" &
hold=$!
exec 9> "$RUNDIR/hold.in"	# keeps the holder waiting until we close it
check "dom0 maps the console grant" wait_until 60 grep -q mapped "$RUNDIR/hold.out"
check "destroy waits, then names what holds the domain" out_has "pvhv lists it dying (its grants are still mapped" \
	"$PVCTL" destroy --timeout 2 victim
check "the domain is dying" state_is victim dying
check "its runner is gone" test "$(runners)" -eq 0
check "its memory still counts" sh -c "! '$PVCTL' info --json | grep -q '\"used_kib\": 0'"
exec 9>&-
check "the holder unmapped" wait "$hold"
check "the domain is gone" wait_until 120 domain_gone victim
check "destroy now finds nothing to destroy" sh -c "'$PVCTL' destroy victim | grep -q 'nothing to destroy'"
check "its memory is back" sh -c "'$PVCTL' info --json | grep -q '\"used_kib\": 0'"
finish
