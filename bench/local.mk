# bench/: benchmarks that report ratios measured side by side in one run.
noinst_PROGRAMS += bench/ipc-rtt
bench_ipc_rtt_SOURCES = bench/ipc-rtt.c
EXTRA_DIST += bench/hvbench.py bench/README.md

# XenStore request rates and transaction conflicts (bench/README.md).
noinst_PROGRAMS += bench/xs-bench
bench_xs_bench_SOURCES = bench/xs-bench.c

# dom0's end of pvos init=prim-bench event channel round trips.
noinst_PROGRAMS += bench/evtchn-peer
bench_evtchn_peer_SOURCES = bench/evtchn-peer.c
bench_evtchn_peer_LDADD = common/libsv.a

# The native baseline of pvbench: blkbench's cases on a host file.
pkglibexec_PROGRAMS += bench/blk-native
bench_blk_native_SOURCES = bench/blk-native.c
bench_blk_native_CFLAGS = $(AM_CFLAGS) $(LIBURING_CFLAGS)
bench_blk_native_LDADD = $(LIBURING_LIBS)
