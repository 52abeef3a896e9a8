#!/bin/sh
# fuzz.sh: run the libFuzzer targets `make fuzz` built, each for SECONDS.
#
#   tests/fuzz/fuzz.sh DIR SECONDS TARGET...
#
# DIR holds fuzz-TARGET (the build tree's tests/fuzz). Each target starts
# from the seeds in the source tree's tests/fuzz/corpus/TARGET/ (read
# only) and keeps what it finds new in DIR/work/TARGET/; a crash is saved
# as DIR/crashes/TARGET-crash-<sha1>. Prints one line per target and, for
# a crash, libFuzzer's report. Exits 1 if any target crashed.
#
# A crash becomes a regression test: fix it, then copy the input into
# tests/fuzz/corpus/TARGET/ with a name that says what it was, and
# `make check` replays it for ever (tests/fuzz/replay-TARGET).
set -u

if [ $# -lt 3 ]; then
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
fi
dir=$1 secs=$2
shift 2
srcdir=${SV_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
export SV_SRCDIR=$srcdir
status=0

mkdir -p "$dir/crashes"
for t in "$@"; do
	bin=$dir/fuzz-$t seeds=$srcdir/tests/fuzz/corpus/$t work=$dir/work/$t
	log=$dir/work/$t.log
	if [ ! -x "$bin" ]; then
		echo "$t: $bin is not built (make fuzz-build)" >&2
		status=1
		continue
	fi
	mkdir -p "$work"
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$dir/crashes/$t-" \
		"$work" "$seeds" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "$t: ${runs:-?} runs in ${secs} s, ${cov:-cov: ?}, corpus $(ls "$work" | wc -l) new + $(ls "$seeds" | wc -l) seeds, no crash"
	else
		status=1
		echo "$t: CRASH (exit $rc) after ${runs:-?} runs; libFuzzer's report:"
		grep -v '^#[0-9]' "$log" | tail -n 60
		ls "$dir/crashes/$t-"* 2>/dev/null | sed 's/^/  input: /'
	fi
done
exit $status
