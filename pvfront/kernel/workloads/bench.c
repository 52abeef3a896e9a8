/*
 * bench.c: helpers of the timing workloads. Samples are medians rather
 * than means so that a batch hit by host scheduling noise does not move
 * the result.
 */
#include <stddef.h>
#include <stdint.h>

#include <pvos/kernel.h>
#include <pvos/xen.h>

#include "../../xen/xenfront.h"
#include "bench-priv.h"

uint64_t bench_select(uint64_t *v, size_t n, size_t k)
{
	size_t lo = 0, hi = n - 1;

	while (lo < hi) {	/* quickselect, Lomuto partition */
		uint64_t pivot = v[(lo + hi) / 2], t;
		size_t store = lo;

		v[(lo + hi) / 2] = v[hi];
		v[hi] = pivot;
		for (size_t i = lo; i < hi; i++) {
			if (v[i] < pivot) {
				t = v[i]; v[i] = v[store]; v[store] = t;
				store++;
			}
		}
		v[hi] = v[store];
		v[store] = pivot;
		if (store == k)
			break;
		if (store < k)
			lo = store + 1;
		else
			hi = store - 1;
	}
	return v[k];
}

uint64_t bench_median(uint64_t *v, size_t n)
{
	return bench_select(v, n, n / 2);
}

domid_t bench_own_domid(void)
{
	struct evtchn_status st;
	evtchn_port_t p;

	if (evtchn_alloc_unbound(DOMID_SELF, &p) < 0 || evtchn_status(p, &st) < 0)
		panic("bench: cannot learn our domid");
	evtchn_close(p);
	return st.u.unbound.dom;
}
