#!/bin/bash
# pvos's legacy ATA driver against pvdm's emulated IDE disk, through the
# runner's trap-and-emulate path: in PIO and in DMA mode, the whole disk
# read and checked against the host's view of the image, written with a
# pattern the host checks, verified by the guest; a read-only disk refuses
# writes; blkbench says which cases an IDE disk cannot run; pio-bench's
# lines. Then a domain without a device model: its ports read all ones,
# so the probe finds no controller and says so.
. "$SV_SRCDIR/tests/integration/lib.sh"

command -v xenstore-read >/dev/null || { echo "SKIP: xenstore-utils not installed"; exit 77; }
export XENSTORED_PATH="$RUNDIR/xenstored/socket"
start_host

# ide_xml NAME CMDLINE IMAGE [EXTRA-DISK-ELEMENTS] > file
ide_xml() {
	make_xml "$1" "$2" "<on_poweroff>preserve</on_poweroff><on_crash>preserve</on_crash>
  <devices><disk type='file' device='disk'><driver name='file' type='raw'/><source file='$3'/><target dev='hda' bus='ide'/>${4:-}</disk></devices>"
}

# run_ide NAME CMDLINE IMAGE [EXTRA] [crashed]: boot it, wait for it to
# power off (or crash, when asked), destroy it (the console log stays).
stopped() { state_is "$1" shutdown || state_is "$1" crashed; }
run_ide() {
	local state reason
	ide_xml "$1" "$2" "$3" "${4:-}" > "$RUNDIR/$1.xml"
	"$PVCTL" create "$RUNDIR/$1.xml" >/dev/null || return 1
	wait_until 120 stopped "$1" || return 1
	state=$(json_field "$1" state)
	reason=$(json_field "$1" reason)
	"$PVCTL" destroy "$1" >/dev/null
	if [ "${5:-}" = crashed ]; then
		[ "$state" = crashed ]
	else
		[ "$state" = shutdown ] && [ "$reason" = poweroff ]
	fi
}

img="$RUNDIR/disk.img"
head -c $((4 * 1024 * 1024 + 512 * 7)) /dev/urandom > "$img"
sectors=$(( $(stat -c %s "$img") / 512 ))

# Without a device model every port reads all ones.
make_xml nodm "init=blk-sha256" > "$RUNDIR/nodm.xml"
check "a guest without disks" "$PVCTL" create "$RUNDIR/nodm.xml"
check "crashes" wait_until 120 state_is nodm crashed
check "having found no ATA controller" console_has nodm "blk: no disk: nothing under device/vbd and no ATA disk"
"$PVCTL" destroy nodm >/dev/null
make_xml nodm2 "init=pio-bench count=2000" > "$RUNDIR/nodm2.xml"
check "pio-bench without a device model" "$PVCTL" create "$RUNDIR/nodm2.xml"
check "powers off" wait_until 120 state_is nodm2 shutdown
check "timed the port" sh -c "'$PVCTL' console --dump nodm2 | grep -qE '^pio-bench: port=0x510 n=2000 ns_per_op=[0-9]+ p90_ns=[0-9]+$'"
check "skipped the IDE port" console_has nodm2 "pio-bench: port=0x3f6 skipped=no-ata-controller"
"$PVCTL" destroy nodm2 >/dev/null

# A toolstack without emulated disks cannot run the rest.
ide_xml probe "init=hello" "$img" > "$RUNDIR/probe.xml"
if ! out=$("$PVCTL" create "$RUNDIR/probe.xml" 2>&1); then
	case "$out" in
	*"not supported"*)
		echo "SKIP: emulated IDE disks are not supported by this build: $out"
		finish || exit 1
		exit 77 ;;
	esac
	fail "create a guest with an IDE disk: $out"
	finish
	exit 1
fi
wait_until 60 stopped probe
"$PVCTL" destroy probe >/dev/null

seed=11
for mode in pio dma; do
	head -c $((sectors * 512)) /dev/urandom > "$img"
	host_sha=$(sha256sum "$img" | cut -d' ' -f1)
	check "$mode: blk-sha256 runs" run_ide "sha-$mode" "init=blk-sha256 ata-mode=$mode" "$img"
	check "$mode: the guest found the IDE disk" console_has "sha-$mode" "blk: ide 0x1f0 master:"
	check "$mode: with the image's size" console_has "sha-$mode" " $sectors sectors ("
	check "$mode: in $mode mode" console_has "sha-$mode" "mode $mode"
	check "$mode: sha256 matches the host's" console_has "sha-$mode" "sha256 $host_sha"

	seed=$((seed + 1))
	check "$mode: blk-fill seed=$seed runs" run_ide "fill-$mode" "init=blk-fill seed=$seed ata-mode=$mode" "$img"
	check "$mode: blk-fill says what it wrote" console_has "fill-$mode" "blk-fill: $sectors sectors written with seed $seed and flushed"
	check "$mode: the image holds the pattern" test "$(sha256sum "$img" | cut -d' ' -f1)" = "$(pattern_sha "$seed" "$sectors")"
	check "$mode: blk-verify runs" run_ide "verify-$mode" "init=blk-verify seed=$seed ata-mode=$mode" "$img"
	check "$mode: blk-verify: ok" console_has "verify-$mode" "blk-verify: ok"
	printf 'spoil' | dd of="$img" bs=512 seek=4321 conv=notrunc status=none
	check "$mode: blk-verify runs again" run_ide "verify2-$mode" "init=blk-verify seed=$seed ata-mode=$mode" "$img"
	check "$mode: it names the bad sector" console_has "verify2-$mode" "blk-verify: bad sector 4321 word 0"

	before=$(sha256sum "$img" | cut -d' ' -f1)
	check "$mode: blk-fill on a read-only disk crashes" run_ide "ro-$mode" "init=blk-fill seed=1 ata-mode=$mode" "$img" "<readonly/>" crashed
	check "$mode: the write failed with the drive's error" sh -c "'$PVCTL' console --dump 'ro-$mode' | grep -qE '^ata: WRITE (SECTORS|DMA).* failed \(-5\): .*status 0x[0-9a-f]+ error 0x[0-9a-f]+'"
	check "$mode: blk-fill said so" console_has "ro-$mode" "blk-fill: write at sector 0 failed (-5)"
	check "$mode: the image is unchanged" test "$(sha256sum "$img" | cut -d' ' -f1)" = "$before"
done

bench="$RUNDIR/bench.img"
truncate -s 16M "$bench"
check "blkbench runs on IDE" run_ide bench "init=blkbench ms=20 bs=4096,65536 qd=1,8" "$bench"
"$PVCTL" console --dump bench | grep '^blkbench: op=' | sed 's/^/# /'
check "qd=1 cases have numbers" test "$("$PVCTL" console --dump bench | grep -cE '^blkbench: op=(seq|rand)(read|write) bs=(4096|65536) qd=1 iops=[0-9]+ mib_s=[0-9]+\.[0-9] lat_us_p50=[0-9]+$')" -eq 8
check "qd=8 cases are skipped" test "$("$PVCTL" console --dump bench | grep -cE '^blkbench: op=(seq|rand)(read|write) bs=(4096|65536) qd=8 skipped=cannot-queue device_qd=1$')" -eq 8
check "blkbench done" console_has bench "blkbench: done"

check "pio-bench runs with a device model" run_ide pio "init=pio-bench count=2000" "$bench"
"$PVCTL" console --dump pio | grep '^pio-bench:' | sed 's/^/# /'
check "it timed the unclaimed port" sh -c "'$PVCTL' console --dump pio | grep -qE '^pio-bench: port=0x510 n=2000 ns_per_op=[0-9]+ p90_ns=[0-9]+$'"
check "and the alternate status port" sh -c "'$PVCTL' console --dump pio | grep -qE '^pio-bench: port=0x3f6 n=2000 ns_per_op=[0-9]+ p90_ns=[0-9]+$'"

no_runners() { [ "$(runners)" -eq 0 ]; }
check "no runner left" wait_until 60 no_runners
check "no domain left" test "$("$PVCTL" list --json)" = "[]"
finish
