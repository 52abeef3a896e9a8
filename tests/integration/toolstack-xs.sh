#!/bin/bash
# pvctl and XenStore: the tree create writes (with libxl's permissions),
# checked with Debian's xenstore-utils; cleanup on destroy and on a guest's
# own poweroff; shutdown of a guest that cannot answer; and 100
# create/destroy cycles that leak nothing.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/toolstack-lib.sh"

command -v xenstore-ls >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
export XENSTORED_PATH="$RUNDIR/xenstored/socket"
start_host

make_xml spin init=spin > "$RUNDIR/spin.xml"
check "create spin" "$PVCTL" create "$RUNDIR/spin.xml"
id=$(json_field spin domid)
uuid=$(json_field spin uuid)
check "name is in XenStore" test "$(xenstore-read /local/domain/$id/name)" = spin
check "domid is in XenStore" test "$(xenstore-read /local/domain/$id/domid)" = "$id"
check "vm points at /vm/uuid" test "$(xenstore-read /local/domain/$id/vm)" = "/vm/$uuid"
check "vm/uuid/name" test "$(xenstore-read /vm/$uuid/name)" = spin
check "memory/target in KiB" test "$(xenstore-read /local/domain/$id/memory/target)" = 16384
check "store port as pvhv allocated" test "$(xenstore-read /local/domain/$id/store/port)" = 1
check "console ring-ref" test "$(xenstore-read /local/domain/$id/console/ring-ref)" = 2
check "the domain dir is ro for the guest" test "$(perms /local/domain/$id/name)" = "n0,r$id"
check "control/shutdown is the guest's" test "$(perms /local/domain/$id/control/shutdown)" = "n$id"
check "data is the guest's" test "$(perms /local/domain/$id/data)" = "n$id"
check "domain is introduced" sh -c "xenstore-ls /local/domain/$id >/dev/null"

out=$("$PVCTL" shutdown spin 2>&1)
check "shutdown of a guest that cannot answer says so" sh -c "printf '%s' \"$out\" | grep -q 'does not answer control/shutdown'"
check "shutdown --force destroys it" "$PVCTL" shutdown --force spin
check "its nodes are gone" sh -c "! xenstore-exists /local/domain/$id"
check "its vm node is gone" sh -c "! xenstore-exists /vm/$uuid"

make_xml bye init=hello "<on_poweroff>destroy</on_poweroff>" > "$RUNDIR/bye.xml"
check "create bye" "$PVCTL" create "$RUNDIR/bye.xml"
bye=$(json_field bye domid)
check "bye destroys itself" wait_until 60 domain_gone bye
check "pvxenstored removed its nodes by itself" wait_until 60 sh -c "! xenstore-exists /local/domain/$bye"

hv_before=$(daemon_fds pvhv)
xs_before=$(daemon_fds pvxenstored)
for i in $(seq 100); do
	"$PVCTL" create "$RUNDIR/spin.xml" >/dev/null && "$PVCTL" destroy spin >/dev/null || break
done
check "100 create/destroy cycles" test "$i" -eq 100
check "no runner left" test "$(runners)" -eq 0
check "no domain left" test "$("$PVCTL" list --json)" = "[]"
check "no node left" test -z "$(xenstore-list /local/domain)"
check "no vm node left" test -z "$(xenstore-list /vm)"
check "pvhv leaked no descriptor" wait_until 120 fds_at_most pvhv "$hv_before"
check "pvxenstored leaked no descriptor" wait_until 120 fds_at_most pvxenstored "$xs_before"
check "memory budget is whole again" sh -c "'$PVCTL' info --json | grep -q '\"used_kib\": 0'"
finish
