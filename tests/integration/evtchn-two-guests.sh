#!/bin/bash
# Event channels and grants between two guests: pvos init=peer in two
# domains, dom0 doing the toolstack's part of the rendezvous through
# XenStore. Each side prints its checks and "peer: N passed, M failed".
. "$SV_SRCDIR/tests/integration/lib.sh"

command -v xenstore-write >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
export XENSTORED_PATH="$RUNDIR/xenstored/socket"
start_host

make_xml left init=peer > "$RUNDIR/left.xml"
make_xml right init=peer > "$RUNDIR/right.xml"
check "create left" "$PVCTL" create "$RUNDIR/left.xml"
check "create right" "$PVCTL" create "$RUNDIR/right.xml"
l=$(json_field left domid)
r=$(json_field right domid)
if [ "$l" -lt "$r" ]; then server=$l client=$r; else server=$r client=$l; fi
check "tell left its peer" xenstore-write "/local/domain/$l/data/peer" "$r"
check "tell right its peer" xenstore-write "/local/domain/$r/data/peer" "$l"
offered() { xenstore-read "/local/domain/$server/data/port" >/dev/null 2>&1 &&
	    xenstore-read "/local/domain/$server/data/gref" >/dev/null 2>&1; }
check "the server offers a port and a grant" wait_until 60 offered
check "pass them to the client" xenstore-write \
	"/local/domain/$client/data/peer-port" "$(xenstore-read /local/domain/$server/data/port)" \
	"/local/domain/$client/data/peer-gref" "$(xenstore-read /local/domain/$server/data/gref)"
check "left finishes" wait_until 120 state_is left shutdown
check "right finishes" wait_until 120 state_is right shutdown
for g in left right; do
	"$PVCTL" console --dump "$g" | grep '^peer: ' | sed "s/^/# $g: /"
	check "$g: no check failed" sh -c "'$PVCTL' console --dump $g | grep -qE '^peer: [1-9][0-9]* passed, 0 failed\$'"
done
check "the server saw its end-access refused, then allowed" console_has "$([ "$server" = "$l" ] && echo left || echo right)" "peer: ok end-access-after-unmap"
finish
