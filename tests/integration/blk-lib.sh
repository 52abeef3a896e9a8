# blk-lib.sh: shared by the blk-*.sh integration tests, after lib.sh.
# Sourced, not run.

command -v xenstore-read >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
export XENSTORED_PATH="$RUNDIR/xenstored/socket"

# disk_xml NAME CMDLINE IMAGE > file: a pvos guest with one disk, xvda.
disk_xml() {
	make_xml "$1" "$2" "<on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash>
  <devices><disk type='file' device='disk'><source file='$3'/><target dev='xvda' bus='xen'/></disk></devices>"
}

# boot NAME CMDLINE IMAGE: create the guest and return at once.
boot() {
	disk_xml "$1" "$2" "$3" > "$RUNDIR/$1.xml"
	"$PVCTL" create "$RUNDIR/$1.xml" >/dev/null
}

# stopped NAME: it shut down or crashed.
stopped() { state_is "$1" shutdown || state_is "$1" crashed; }

# run_guest NAME CMDLINE IMAGE [SECONDS]: boot it, wait until it stopped
# (poweroff or crash), keep its reason in REASON, destroy it.
run_guest() {
	boot "$1" "$2" "$3" || return 1
	wait_until "${4:-120}" stopped "$1" || { REASON=timeout; "$PVCTL" destroy "$1" >/dev/null; return 1; }
	REASON=$(json_field "$1" reason)
	"$PVCTL" destroy "$1" >/dev/null
}

# The sha256 of the first SECTORS sectors of IMAGE.
prefix_sha() { head -c $(($2 * 512)) "$1" | sha256sum | cut -d' ' -f1; }

# pvblkback's pid, open descriptors and threads.
bb_pid() { cat "$RUNDIR/pvblkback.pid"; }
bb_fds() { ls "/proc/$(bb_pid)/fd" | wc -l; }
bb_threads() { awk '/^Threads:/ { print $2 }' "/proc/$(bb_pid)/status"; }
bb_alive() { kill -0 "$(bb_pid)" 2>/dev/null; }
no_domains() { [ "$("$PVCTL" list --json)" = "[]" ]; }
