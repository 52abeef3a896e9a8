#!/bin/bash
# Network interfaces in the toolstack, on a real bridge made for the test:
# create with a disk and two interfaces and check Xen's vif layout and its
# permissions with xenstore-utils; network-attach, -list and -detach (by
# devid and by MAC); the refusals (a bridge that does not exist, a MAC in
# use, a bad MAC, another model); nothing left behind by a create that
# fails or by destroy; attach/detach cycles that leak no node.
. "$SV_SRCDIR/tests/integration/lib.sh"
. "$SV_SRCDIR/tests/integration/toolstack-lib.sh"

command -v xenstore-ls >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
command -v ip >/dev/null || { echo "SKIP: iproute2 not installed"; exit 77; }
BR=svbr$$
BR=${BR:0:15}
ip link add "$BR" type bridge || { echo "SKIP: cannot create a bridge"; exit 77; }
trap 'ip link del "$BR" 2>/dev/null; cleanup' EXIT
export XENSTORED_PATH="$RUNDIR/xenstored/socket"
start_host

nic_xml() {	# NAME BRIDGE MAC-ELEMENT
	truncate -s 16M "$RUNDIR/$1.img"
	make_xml "$1" init=spin "<devices>
    <disk type='file'><source file='$RUNDIR/$1.img'/><target dev='xvda'/></disk>
    <interface type='bridge'>$3<source bridge='$2'/><script path='vif-bridge'/></interface>
    <interface type='ethernet'/>
  </devices>"
}

nic_xml web "$BR" "<mac address='02:16:3e:00:00:01'/>" > "$RUNDIR/web.xml"
check "validate with interfaces" "$PVCTL" validate "$RUNDIR/web.xml"
check "create with a disk and two interfaces" "$PVCTL" create "$RUNDIR/web.xml"
id=$(json_field web domid)
fe=/local/domain/$id/device/vif/0
be=/local/domain/0/backend/vif/$id/0
check "frontend mac" test "$(xenstore-read $fe/mac)" = 02:16:3e:00:00:01
check "frontend handle" test "$(xenstore-read $fe/handle)" = 0
check "frontend backend" test "$(xenstore-read $fe/backend)" = "$be"
check "frontend backend-id" test "$(xenstore-read $fe/backend-id)" = 0
check "frontend state" test "$(xenstore-read $fe/state)" = 1
check "backend frontend" test "$(xenstore-read $be/frontend)" = "$fe"
check "backend frontend-id" test "$(xenstore-read $be/frontend-id)" = "$id"
check "backend mac" test "$(xenstore-read $be/mac)" = 02:16:3e:00:00:01
check "backend bridge" test "$(xenstore-read $be/bridge)" = "$BR"
check "backend script" test "$(xenstore-read $be/script)" = vif-bridge
check "backend handle" test "$(xenstore-read $be/handle)" = 0
check "backend online" test "$(xenstore-read $be/online)" = 1
check "backend state: pvnetback waits for the frontend" wait_until 60 sh -c "test \"\$(xenstore-read $be/state)\" = 2"
check "frontend dir is the guest's" test "$(perms $fe)" = "n$id,r0"
check "frontend mac is the guest's" test "$(perms $fe/mac)" = "n$id,r0"
check "backend dir is dom0's" test "$(perms $be)" = "n0,r$id"
check "backend bridge is dom0's" test "$(perms $be/bridge)" = "n0,r$id"
check "the ethernet vif has no bridge" sh -c "! xenstore-exists /local/domain/0/backend/vif/$id/1/bridge"
check "the generated MAC has our prefix" sh -c "xenstore-read /local/domain/0/backend/vif/$id/1/mac | grep -q '^02:53:56:'"
check "the vbd is there too" test "$(xenstore-read /local/domain/$id/device/vbd/51712/state)" = 1
check "network-list" sh -c "'$PVCTL' network-list web | grep -q '^0 *02:16:3e:00:00:01 $BR *Initialising *InitWait *vif-bridge'"
check "network-list has no 'no backend' note with pvnetback running" sh -c "! '$PVCTL' network-list web | grep -q 'no network backend'"
check "network-list --json" sh -c "'$PVCTL' network-list --json web | python3 -c 'import json,sys; d=json.load(sys.stdin); assert len(d)==2 and d[1][\"bridge\"] is None and d[0][\"backend_state\"]==\"InitWait\"'"

check "network-attach" "$PVCTL" network-attach web bridge="$BR" mac=02:16:3e:00:00:02
check "it is vif 2" test "$(xenstore-read /local/domain/0/backend/vif/$id/2/mac)" = 02:16:3e:00:00:02
check "with a generated MAC" "$PVCTL" network-attach web bridge="$BR"
check "it is vif 3 under our prefix" sh -c "xenstore-read /local/domain/0/backend/vif/$id/3/mac | grep -q '^02:53:56:'"
check "a MAC in use is refused" out_has "already used by vif 0 of domain $id" \
	"$PVCTL" network-attach web bridge="$BR" mac=02:16:3e:00:00:01
check "a bad MAC is refused" out_has "is not a MAC address" "$PVCTL" network-attach web bridge="$BR" mac=02:16:3e
check "a multicast MAC is refused" out_has "multicast" "$PVCTL" network-attach web bridge="$BR" mac=03:00:00:00:00:01
check "another model is refused" out_has "the only model is netfront" "$PVCTL" network-attach web bridge="$BR" model=e1000
check "a missing bridge is refused, by name" out_has "there is no bridge nosuchbr0 on this host" \
	"$PVCTL" network-attach web bridge=nosuchbr0
check "an interface that is not a bridge is refused" out_has "the host interface lo is not a bridge" \
	"$PVCTL" network-attach web bridge=lo
check "detach by MAC" "$PVCTL" network-detach web 02:16:3e:00:00:02
check "vif 2 is gone" sh -c "! xenstore-exists /local/domain/0/backend/vif/$id/2 && ! xenstore-exists /local/domain/$id/device/vif/2"
check "detach by devid" "$PVCTL" network-detach web 3
check "detach of an unknown vif" out_has "domain web has no interface 7" "$PVCTL" network-detach web 7
check "detach of an unknown MAC" out_has "has no interface 02:16:3e:00:00:09" "$PVCTL" network-detach web 02:16:3e:00:00:09

vifs() { xenstore-ls /local/domain/$id/device/vif; xenstore-ls /local/domain/0/backend/vif/$id; }
before=$(vifs)
for i in $(seq 20); do
	"$PVCTL" network-attach web bridge="$BR" >/dev/null 2>&1 && "$PVCTL" network-detach web 2 >/dev/null || break
done
check "20 attach/detach cycles" test "$i" -eq 20
check "no vif node left" test "$(vifs)" = "$before"

# Refusals at create time leave nothing behind.
nic_xml dup "$BR" "<mac address='02:16:3e:00:00:01'/>" > "$RUNDIR/dup.xml"
check "create with a MAC in use is refused" out_has "the MAC 02:16:3e:00:00:01 is already used by vif 0 of domain $id" \
	"$PVCTL" create "$RUNDIR/dup.xml"
nic_xml nobr nosuchbr0 "" > "$RUNDIR/nobr.xml"
check "create with a missing bridge names it" out_has "nobr.xml:11: <interface>: there is no bridge nosuchbr0 on this host; create it with: ip link add nosuchbr0 type bridge" \
	"$PVCTL" create "$RUNDIR/nobr.xml"
check "... and so does validate" out_has "there is no bridge nosuchbr0" "$PVCTL" validate "$RUNDIR/nobr.xml"
check "no domain was created" test "$("$PVCTL" list --json | grep -c '"name"')" -eq 1
check "no node was written" test "$(xenstore-list /local/domain | grep -vx 0 | tr -d '\n')" = "$id"

check "destroy web" "$PVCTL" destroy web
check "its vif backends are gone" sh -c "! xenstore-exists /local/domain/0/backend/vif/$id"
check "its vbd backends are gone" sh -c "! xenstore-exists /local/domain/0/backend/vbd/$id"
check "its MAC is free again" "$PVCTL" create "$RUNDIR/dup.xml"
check "destroy dup" "$PVCTL" destroy dup
check "no runner left" test "$(runners)" -eq 0

# 100 create/destroy cycles of a domain with a disk and two interfaces.
# destroy returns when nothing of the domain is left in pvhv, XenStore,
# the taps, pvblkback's images and the run directory, so those are
# checked at once; the daemons' own descriptors go when each of them
# notices, so those are polled. The run directory is compared by names:
# the daemons' logs change on every cycle, and may after destroy.
files() { find "$RUNDIR" -path "$RUNDIR/console" -prune -o \( -type f -o -type s \) -print | sort; }
nodes() { xenstore-ls /local; xenstore-ls /vm; }
taps() { ip -o link show | grep -o 'vif[0-9]*\.[0-9]*' | sort; }
"$PVCTL" create "$RUNDIR/web.xml" >/dev/null && "$PVCTL" destroy web >/dev/null
hv_before=$(daemon_fds pvhv)
bb_before=$(daemon_fds pvblkback)
nb_before=$(daemon_fds pvnetback)
xs_before=$(daemon_fds pvxenstored)
files_before=$(files)
nodes_before=$(nodes)
taps_before=$(taps)
for i in $(seq 100); do
	"$PVCTL" create "$RUNDIR/web.xml" >/dev/null && "$PVCTL" destroy web >/dev/null || break
done
check "100 create/destroy cycles with a disk and two vifs" test "$i" -eq 100
check "no runner left" test "$(runners)" -eq 0
check "no XenStore node left" test "$(nodes)" = "$nodes_before"
check "no tap left" test "$(taps)" = "$taps_before"
check "no file left in the run directory" test "$(files)" = "$files_before"
check "pvhv leaked no descriptor (memfds, eventfds, sockets)" wait_until 120 fds_at_most pvhv "$hv_before"
check "pvxenstored leaked no descriptor" wait_until 120 fds_at_most pvxenstored "$xs_before"
check "pvblkback closed every image" wait_until 120 fds_at_most pvblkback "$bb_before"
check "pvnetback closed every tap" wait_until 120 fds_at_most pvnetback "$nb_before"
check "the memory budget is whole again" sh -c "'$PVCTL' info --json | grep -q '\"used_kib\": 0'"
finish
