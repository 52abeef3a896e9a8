#!/bin/bash
# pvctl and pvdm: a domain with an IDE disk gets its device model before
# it runs, and loses it on destroy and when it powers off by itself; a
# device model that cannot start fails create and leaves nothing behind;
# the IDE disk is not a vbd in XenStore. (The guest's ATA driver and its
# data tests are in guest-ide.sh.)
. "$SV_SRCDIR/tests/integration/lib.sh"

start_host
truncate -s 8M "$RUNDIR/hda.img"
: > "$RUNDIR/empty.img"
ide() { echo "<devices><disk type='file'><source file='$1'/><target dev='hda' bus='ide'/></disk></devices>${2:-}"; }
pvdms() { pgrep -f "pvdm --rundir $RUNDIR " | wc -l; }
# no_pvdm: counts again at every poll (pvdm removes its pidfile, which
# destroy waits for, just before it exits).
no_pvdm() { [ "$(pvdms)" -eq 0 ]; }
dm_pid() { cat "$RUNDIR/pvdm/$1.pid" 2>/dev/null; }

make_xml idle init=idle "$(ide "$RUNDIR/hda.img")" > "$RUNDIR/idle.xml"
check "create a domain with an IDE disk" "$PVCTL" create "$RUNDIR/idle.xml"
id=$(json_field idle domid)
check "it runs" state_is idle running
check "its pvdm runs" test "$(pvdms)" -eq 1
check "pvdm wrote its pidfile" kill -0 "$(dm_pid "$id")"
check "pvdm logs where pvctl said" grep -q "hda is $RUNDIR/hda.img" "$RUNDIR/pvdm/idle.log"
if command -v xenstore-ls >/dev/null; then
	export XENSTORED_PATH="$RUNDIR/xenstored/socket"
	check "hda is not a vbd" sh -c "! xenstore-exists /local/domain/0/backend/vbd/$id"
fi
kill -USR1 "$(dm_pid "$id")"
check "SIGUSR1 logs the counters" wait_until 60 grep -q "sectors read" "$RUNDIR/pvdm/idle.log"
check "destroy" "$PVCTL" destroy idle
check "pvdm is gone after destroy" wait_until 60 no_pvdm
check "its pidfile is gone" test ! -e "$RUNDIR/pvdm/$id.pid"

# The whole trap path through pvdm: pio-test's ports are nobody's, so
# pvdm answers all ones, in as many chunks as the runner sends.
make_xml pio init=pio-test "$(ide "$RUNDIR/hda.img" "<on_poweroff>preserve</on_poweroff>")" > "$RUNDIR/pio.xml"
check "create pio-test with a device model" "$PVCTL" create "$RUNDIR/pio.xml"
check "pio-test powers off" wait_until 60 state_is pio shutdown
check "every check passed through pvdm" console_has pio "pio-test: ok"
check "pvdm served its ioreqs" wait_until 60 grep -q "stats: domid=.* ioreqs.unclaimed=[1-9]" "$RUNDIR/pvdm/pio.log"
check "destroy pio" "$PVCTL" destroy pio

make_xml bye init=hello "$(ide "$RUNDIR/hda.img" "<on_poweroff>destroy</on_poweroff>")" > "$RUNDIR/bye.xml"
check "create a guest that powers off" "$PVCTL" create "$RUNDIR/bye.xml"
check "it goes by itself" wait_until 60 domain_gone bye
check "its pvdm follows it" wait_until 60 no_pvdm
check "pvdm said why it left" grep -q "is gone; exiting" "$RUNDIR/pvdm/bye.log"

# A device model that dies under a running guest crashes the guest with a
# reason that says so; on_crash=restart is not applied, since the guest
# would come back with nobody to answer its port I/O.
make_xml orphan init=idle "$(ide "$RUNDIR/hda.img" "<on_crash>restart</on_crash>")" > "$RUNDIR/orphan.xml"
check "create a guest for its pvdm to die under" "$PVCTL" create "$RUNDIR/orphan.xml"
oid=$(json_field orphan domid)
check "its pvdm runs" kill -0 "$(dm_pid "$oid")"
kill -KILL "$(dm_pid "$oid")"
check "the guest crashes when its pvdm dies" wait_until 60 state_is orphan crashed
check "the cause names the device model" sh -c "'$PVCTL' dominfo orphan | grep -q 'device model exited'"
check "it was not restarted without one" test "$(json_field orphan restarts)" -eq 0
check "and stays crashed" state_is orphan crashed
check "pvhv is still up" "$PVCTL" host status
check "destroy the orphan" "$PVCTL" destroy orphan

make_xml broken init=idle "$(ide "$RUNDIR/empty.img")" > "$RUNDIR/broken.xml"
out=$("$PVCTL" create "$RUNDIR/broken.xml" 2>&1)
check "create fails when pvdm cannot start" test $? -ne 0
check "and says why" sh -c "printf '%s' \"$out\" | grep -q 'smaller than one sector'"
check "and leaves no domain" domain_gone broken
check "and no pvdm" test "$(pvdms)" -eq 0

check "no runner left" test "$(runners)" -eq 0
finish
