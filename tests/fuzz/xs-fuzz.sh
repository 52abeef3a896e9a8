#!/bin/sh
# xs-fuzz.sh: build the pvxenstored wire/ring fuzz target with clang's
# libFuzzer and run it for SECONDS (default 60).  Not part of `make check`.
#
#   tests/fuzz/xs-fuzz.sh [SECONDS] [extra libFuzzer options]
#
# Needs clang (apt-get install clang).  Works from any directory; the build
# goes to ${XS_FUZZ_DIR:-/tmp/xs-fuzz}, with a seed corpus written there.
set -eu

secs=${1:-60}
[ $# -gt 0 ] && shift
srcdir=$(cd "$(dirname "$0")/../.." && pwd)
out=${XS_FUZZ_DIR:-/tmp/xs-fuzz}
cc=${CLANG:-clang}

if ! command -v "$cc" >/dev/null 2>&1; then
	echo "xs-fuzz.sh: $cc not found; apt-get install clang" >&2
	exit 2
fi
mkdir -p "$out/corpus"

srcs=""
for f in path perms tree quota transaction store watch wire conn request \
	 domain control ring log ratelimit persist; do
	srcs="$srcs $srcdir/xs/$f.c"
done
"$cc" -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined \
	-D_GNU_SOURCE -D__XEN_TOOLS__ -I"$srcdir/xs" -I"$srcdir/hv/include" \
	$srcs "$srcdir/tests/fuzz/xs-fuzz-wire.c" -o "$out/xs-fuzz-wire"

# Seeds: a few well-formed requests (type, req_id, tx_id, len, payload).
seed() {	# seed NAME MODE CHUNK TYPE PAYLOAD-PRINTF
	name=$1 mode=$2 chunk=$3 type=$4
	len=$(printf "$5" | wc -c)
	{
		printf "\\$(printf %03o "$mode")\\$(printf %03o "$chunk")"
		printf "\\$(printf %03o "$type")\\000\\000\\000\\001\\000\\000\\000"
		printf "\\000\\000\\000\\000\\$(printf %03o "$len")\\000\\000\\000"
		printf "$5"
	} >"$out/corpus/$name"
}
seed write 0 0 11 '/a/b\000value'
seed read 0 7 2 '/tool/xenstored\000'
seed guest-write 1 0 11 'data/x\000v'
seed watch 0 0 4 '/a\000tok\000'
seed tx 0 0 6 '\000'
seed perms 0 0 14 '/a\000n0\000r5\000'
seed dirpart 0 0 22 '/\0000\000'
seed control 0 0 0 'print\000'
seed ring 128 0 2 'name\000'

cd "$out"
./xs-fuzz-wire -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 "$@" corpus
