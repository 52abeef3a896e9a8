/*
 * bench-priv.h: what the timing workloads (prim-bench, pio-bench,
 * blkbench, gnt-flood) share.
 */
#ifndef PVOS_WORKLOADS_BENCH_PRIV_H
#define PVOS_WORKLOADS_BENCH_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include <pvos/xen.h>

/* The k-th smallest of v[0..n) (k < n), by quickselect: v is reordered. */
uint64_t bench_select(uint64_t *v, size_t n, size_t k);
/* bench_select(v, n, n / 2). */
uint64_t bench_median(uint64_t *v, size_t n);
/* Our own domid, from the status of an unbound port we make and close. */
domid_t bench_own_domid(void);

#endif /* PVOS_WORKLOADS_BENCH_PRIV_H */
