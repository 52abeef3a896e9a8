#!/bin/bash
# stress.sh: the whole test suite (`make check`) ROUNDS times in a row
# (default 3) with a CPU hog on each core, to show that no test depends
# on the machine being quiet. Stops at the first round that fails and
# names the failing tests, with the end of each one's log.
#
#   make check-stress                  # from the build directory
#   tests/stress.sh [--rounds N] [--hogs-per-core N] [BUILDDIR]
#
# The tests that make taps and bridges (those whose script creates a
# bridge) collide with other people's on a shared machine: each round
# runs them last, under flock on $SV_NET_LOCK (default /tmp/sv-net.lock),
# so the lock is held only while they run.
set -u

rounds=3
hogs_per_core=1
builddir=
while [ $# -gt 0 ]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--hogs-per-core) hogs_per_core=$2; shift 2 ;;
	-h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "stress.sh: unknown option $1 (try --help)" >&2; exit 2 ;;
	*) builddir=$1; shift ;;
	esac
done
builddir=${builddir:-${SV_BUILDDIR:-$(pwd)}}
srcdir=$(cd "$(dirname "$0")/.." && pwd)
lock=${SV_NET_LOCK:-/tmp/sv-net.lock}
case "$rounds$hogs_per_core" in
*[!0-9]*) echo "stress.sh: --rounds and --hogs-per-core take numbers" >&2; exit 2 ;;
esac
[ -f "$builddir/Makefile" ] || { echo "stress.sh: $builddir has no Makefile (configure first, or name the build directory)" >&2; exit 2; }

hogs=()
stop_hogs() {
	for p in "${hogs[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${hogs[@]}"; do wait "$p" 2>/dev/null; done
	hogs=()
}
trap 'stop_hogs' EXIT
trap 'exit 130' INT TERM

# The suite's test list, as make sees it, split into network tests and the rest.
all_tests=$(printf 'sv-print-tests:\n\t@echo $(TESTS)\n' |
	    make -s -C "$builddir" -f Makefile -f - sv-print-tests)
net_tests= other_tests=
for t in $all_tests; do
	if [ "${t%.sh}" != "$t" ] && grep -q 'type bridge' "$srcdir/$t" 2>/dev/null; then
		net_tests="$net_tests $t"
	else
		other_tests="$other_tests $t"
	fi
done

# report TESTS: which of the tests of the last make check failed, with the
# end of each one's log (automake drops a .sh extension: foo.sh logs to foo.log).
report() {
	local t base found=0
	for t in $1; do
		base=$builddir/${t%.sh}
		grep -q -E '^:test-result: (FAIL|ERROR|XPASS)' "$base.trs" 2>/dev/null || continue
		found=1
		echo "stress.sh: FAILED: $t (log: $base.log)"
		tail -n 40 "$base.log" | sed 's/^/    /'
	done
	[ "$found" = 1 ] || echo "stress.sh: make check failed before any test failed (see its output)"
}

ncpu=$(nproc)
echo "stress.sh: $rounds rounds of make check in $builddir, $((ncpu * hogs_per_core)) CPU hogs on $ncpu cores"
make -s -C "$builddir" all >/dev/null || { echo "stress.sh: the build failed" >&2; exit 1; }
for _ in $(seq $((ncpu * hogs_per_core))); do
	nice -n 0 sh -c 'while :; do :; done' &
	hogs+=($!)
done
start=$SECONDS
for r in $(seq "$rounds"); do
	echo "stress.sh: round $r/$rounds: $(echo $other_tests | wc -w) tests, then$(echo $net_tests | wc -w | sed 's/^/ /') network tests under $lock"
	if ! make -C "$builddir" check TESTS="$other_tests" >"$builddir/stress-round$r.log" 2>&1; then
		echo "stress.sh: round $r failed after $((SECONDS - start)) s (make's output: $builddir/stress-round$r.log)"
		report "$other_tests"
		exit 1
	fi
	if [ -n "$net_tests" ] &&
	   ! flock "$lock" make -C "$builddir" check TESTS="$net_tests" >>"$builddir/stress-round$r.log" 2>&1; then
		echo "stress.sh: round $r failed after $((SECONDS - start)) s (make's output: $builddir/stress-round$r.log)"
		report "$net_tests"
		exit 1
	fi
	awk -v r="$r" '/^# (PASS|SKIP|FAIL|ERROR): / { n[$2] += $3 }
	     END { printf "stress.sh: round %d passed: %d PASS, %d SKIP\n", r, n["PASS:"], n["SKIP:"] }' \
		"$builddir/stress-round$r.log"
done
echo "stress.sh: $rounds rounds passed under load in $((SECONDS - start)) s"
