# bench/: benchmarks that report ratios measured side by side in one run.
noinst_PROGRAMS += bench/ipc-rtt
bench_ipc_rtt_SOURCES = bench/ipc-rtt.c
EXTRA_DIST += bench/hvbench.py bench/README.md

# XenStore request rates and transaction conflicts (bench/README.md).
noinst_PROGRAMS += bench/xs-bench
bench_xs_bench_SOURCES = bench/xs-bench.c

# dom0's end of pvos init=prim-bench event channel round trips; installed
# because pvbench uses it.
pkglibexec_PROGRAMS += bench/evtchn-peer
bench_evtchn_peer_SOURCES = bench/evtchn-peer.c
bench_evtchn_peer_LDADD = common/libsv.a

# The native baseline of pvbench: blkbench's cases on a host file.
pkglibexec_PROGRAMS += bench/blk-native
bench_blk_native_SOURCES = bench/blk-native.c
bench_blk_native_CFLAGS = $(AM_CFLAGS) $(LIBURING_CFLAGS)
bench_blk_native_LDADD = $(LIBURING_LIBS)

# pvbench: PV against emulated IDE against native block I/O. The command
# is bench/pvbench.py with the build's directories filled in, so the same
# file runs from the build tree (bench/pvbench) and installed (sbindir,
# it needs root); the module it shares with hvbench.py goes to pkgdatadir.
pvbenchsbindir = $(sbindir)
pvbenchsbin_SCRIPTS = bench/pvbench
pvbenchmoddir = $(pkgdatadir)/bench
dist_pvbenchmod_DATA = bench/svbench.py
EXTRA_DIST += bench/pvbench.py bench/results-pvbench.json
CLEANFILES += bench/pvbench
bench/pvbench: bench/pvbench.py Makefile
	$(AM_V_GEN)$(MKDIR_P) bench && sed \
		-e 's|@abs_top_srcdir[@]|$(abs_top_srcdir)|g' \
		-e 's|@abs_top_builddir[@]|$(abs_top_builddir)|g' \
		-e 's|@sbindir[@]|$(sbindir)|g' \
		-e 's|@pkglibdir[@]|$(pkglibdir)|g' \
		-e 's|@pkglibexecdir[@]|$(pkglibexecdir)|g' \
		-e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
		$(srcdir)/bench/pvbench.py > $@.tmp && chmod +x $@.tmp && mv $@.tmp $@

# The plots of the run docs/benchmarks.md quotes (pvbench --plots docs/).
EXTRA_DIST += docs/pvbench-throughput.png docs/pvbench-throughput.svg \
	docs/pvbench-latency.png docs/pvbench-latency.svg
