# bench/: benchmarks that report ratios measured side by side in one run.
noinst_PROGRAMS += bench/ipc-rtt
bench_ipc_rtt_SOURCES = bench/ipc-rtt.c
EXTRA_DIST += bench/hvbench.py bench/README.md
