#!/bin/bash
# Dom0 maps one guest's grant until pvhv refuses, as a backend that maps
# whatever its guest asks for would: the refusal comes at that guest's
# share of dom0's mappings (max_grant_frames * 512 = 32768, two of them
# already pvxenstored's and pvconsoled's), not at a limit all guests
# share, so another guest's grants still map, a new guest still starts
# (its XenStore and console rings mapped), and the full guest runs on.
. "$SV_SRCDIR/tests/integration/lib.sh"

HOLD="$SV_BUILDDIR/tests/integration/gnt-hold"
start_host
make_xml full init=idle > "$RUNDIR/full.xml"
make_xml other init=idle > "$RUNDIR/other.xml"
make_xml fresh init=hello > "$RUNDIR/fresh.xml"
check "create a guest" "$PVCTL" create "$RUNDIR/full.xml"
check "create another" "$PVCTL" create "$RUNDIR/other.xml"
full=$(json_field full domid)
other=$(json_field other domid)

mkfifo "$RUNDIR/hold.in"
"$HOLD" "$RUNDIR" "$full" 1 all < "$RUNDIR/hold.in" > "$RUNDIR/hold.out" 2>&1 &
hold=$!
exec 9> "$RUNDIR/hold.in"	# keeps the holder waiting until we close it
check "dom0 maps the guest's XenStore ring until refused" wait_until 300 grep -q refused "$RUNDIR/hold.out"
sed 's/^/# /' "$RUNDIR/hold.out"
check "refused at its share: 32768 less the two rings' mappings" grep -qx "mapped 32766" "$RUNDIR/hold.out"
check "with GNTST_no_space" grep -q "GNTST -13" "$RUNDIR/hold.out"
check "pvhv says whose share is used up" grep -q "domain $full (full): dom0 already maps 32768 of its grants, all of its share" "$RUNDIR/pvhv.log"
check "another guest's grant still maps" sh -c "'$HOLD' '$RUNDIR' '$other' 1 < /dev/null | grep -qx 'mapped 1'"
check "a new guest starts" "$PVCTL" create "$RUNDIR/fresh.xml"
check "and runs to its poweroff" wait_until 60 state_is fresh shutdown
check "its console works" console_has fresh "hello"
check "the full guest still runs" state_is full running
exec 9>&-
check "the holder unmapped everything" wait "$hold"
check "its grant maps again" sh -c "'$HOLD' '$RUNDIR' '$full' 1 < /dev/null | grep -qx 'mapped 1'"
finish
