#!/bin/bash
# The PV block path from dom0's side: a read-only disk refuses the guest's
# writes and keeps its bytes; a disk attached read-write elsewhere is
# refused; two guests on two disks at once; and 50 connect/disconnect
# cycles leave pvblkback with no descriptor, thread or mapping behind.
. "$SV_SRCDIR/tests/integration/lib.sh"

start_host
# Before any disk: libxenstore has a reader thread of its own, started by
# the watch pvblkback sets before it says it is serving.
check "pvblkback serves" wait_until 60 grep -q "serving" "$RUNDIR/pvblkback.log"
base_threads=$(ls "/proc/$(cat "$RUNDIR/pvblkback.pid")/task" | wc -l)

# disk_xml NAME CMDLINE IMAGE [EXTRA-DISK-ELEMENTS] > file
disk_xml() {
	make_xml "$1" "$2" "<on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash>
  <devices><disk type='file' device='disk'><source file='$3'/><target dev='xvda' bus='xen'/>${4:-}</disk></devices>"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
blkback_fds() { ls "/proc/$(cat "$RUNDIR/pvblkback.pid")/fd" | wc -l; }
blkback_threads() { ls "/proc/$(cat "$RUNDIR/pvblkback.pid")/task" | wc -l; }

ro="$RUNDIR/ro.img"
head -c $((2 * 1024 * 1024)) /dev/urandom > "$ro"
before=$(sha "$ro")
disk_xml rofill "init=blk-fill seed=3" "$ro" "<readonly/>" > "$RUNDIR/rofill.xml"
check "create a guest on a read-only disk" "$PVCTL" create "$RUNDIR/rofill.xml"
check "it stops" wait_until 120 sh -c "'$PVCTL' list --json | grep -q '\"name\": \"rofill\", [^}]*\"state\": \"\\(shutdown\\|crashed\\)\"'"
check "its writes were refused" sh -c "! '$PVCTL' console --dump rofill | grep -q 'blk-fill: .* written'"
check "the image is unchanged" test "$(sha "$ro")" = "$before"
disk_xml roread "init=blk-sha256" "$ro" "<readonly/>" > "$RUNDIR/roread.xml"
check "the read-only disk still reads" "$PVCTL" create "$RUNDIR/roread.xml"
check "with the right sha256" wait_until 120 console_has roread "sha256 $before"
"$PVCTL" destroy rofill >/dev/null
"$PVCTL" destroy roread >/dev/null

a="$RUNDIR/a.img"
b="$RUNDIR/b.img"
head -c $((3 * 1024 * 1024)) /dev/urandom > "$a"
head -c $((5 * 1024 * 1024)) /dev/urandom > "$b"
make_xml holder init=idle "<devices><disk type='file' device='disk'><source file='$a'/><target dev='xvda' bus='xen'/></disk></devices>" > "$RUNDIR/holder.xml"
check "a guest holds disk a read-write" "$PVCTL" create "$RUNDIR/holder.xml"
disk_xml thief "init=blk-sha256" "$a" > "$RUNDIR/thief.xml"
out=$("$PVCTL" create "$RUNDIR/thief.xml" 2>&1)
check "a second read-write user is refused" sh -c "printf '%s' \"$out\" | grep -q 'already attached'"
check "and nothing of it was created" domain_gone thief
"$PVCTL" destroy holder >/dev/null

disk_xml ga "init=blk-sha256" "$a" > "$RUNDIR/ga.xml"
disk_xml gb "init=blk-sha256" "$b" > "$RUNDIR/gb.xml"
check "guest a on disk a" "$PVCTL" create "$RUNDIR/ga.xml"
check "guest b on disk b, at the same time" "$PVCTL" create "$RUNDIR/gb.xml"
check "a reads a" wait_until 120 console_has ga "sha256 $(sha "$a")"
check "b reads b" wait_until 120 console_has gb "sha256 $(sha "$b")"
"$PVCTL" destroy ga >/dev/null
"$PVCTL" destroy gb >/dev/null

# Let the guests above finish tearing down before taking the baseline.
one_thread() { [ "$(blkback_threads)" -eq "$base_threads" ]; }
wait_until 60 one_thread
fds=$(blkback_fds)
make_xml cyc init=blk-sha256 "<devices><disk type='file' device='disk'><source file='$b'/><target dev='xvda' bus='xen'/></disk></devices>" > "$RUNDIR/cyc.xml"
for i in $(seq 50); do
	"$PVCTL" create "$RUNDIR/cyc.xml" >/dev/null || break
	wait_until 60 console_has cyc "sha256 " || break
	"$PVCTL" destroy cyc >/dev/null || break
	: > "$RUNDIR/console/cyc.log"
done
check "50 connect/disconnect cycles" test "$i" -eq 50
no_growth() { [ "$(blkback_fds)" -le "$fds" ]; }
check "pvblkback let every disk go" wait_until 60 no_growth
check "no I/O thread left" wait_until 60 one_thread
check "no domain left" test "$("$PVCTL" list --json)" = "[]"
no_backend_dirs() { [ -z "$(XENSTORED_PATH="$RUNDIR/xenstored/socket" xenstore-list /local/domain/0/backend/vbd)" ]; }
check "no backend directory left" wait_until 60 no_backend_dirs
echo "# left in XenStore: $(XENSTORED_PATH="$RUNDIR/xenstored/socket" xenstore-ls /local/domain/0/backend/vbd 2>&1 | tr '\n' ' ')"
echo "# pvblkback descriptors: $(ls -l "/proc/$(cat "$RUNDIR/pvblkback.pid")/fd" | sed 's/.*-> //' | tr '\n' ' ') (baseline $fds)"
finish
