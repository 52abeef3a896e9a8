/*
 * hcall_latency.c: init=hcall-latency [count=N], the latency of each
 * hypercall, one by one.
 *
 * Where hcall-bench measures the mean cost in batches, this times every
 * call of xen_version(XENVER_version) on its own, so that the tail shows:
 * an honest guest running it next to a hostile one sees how long pvhv
 * made it wait. One line that scripts parse, then poweroff:
 *
 *   hcall-latency: n=N median_ns=X p99_ns=Y max_ns=Z
 */
#include <stdint.h>

#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#include "bench-priv.h"

#define LATENCY_DEFAULT_COUNT	5000
#define LATENCY_MAX_COUNT	50000

static uint64_t lat_ns[LATENCY_MAX_COUNT];

void workload_hcall_latency(void)
{
	uint64_t count, max = 0;
	long r;

	if (cmdline_get_u64("count", LATENCY_DEFAULT_COUNT, 1, LATENCY_MAX_COUNT,
			    &count) < 0)
		panic("hcall-latency: count= must be a number from 1 to %d",
		      LATENCY_MAX_COUNT);
	if (!time_is_available())
		panic("hcall-latency: no PV clock (tsc_to_system_mul is 0)");
	for (uint64_t i = 0; i < count; i++) {
		uint64_t start = time_now_ns();

		r = HYPERVISOR_xen_version(XENVER_version, 0);
		lat_ns[i] = time_now_ns() - start;
		if (r < 0)
			panic("hcall-latency: xen_version failed (%ld)", r);
		if (lat_ns[i] > max)
			max = lat_ns[i];
	}
	printk("hcall-latency: n=%lu median_ns=%lu p99_ns=%lu max_ns=%lu\n",
	       (unsigned long)count,
	       (unsigned long)bench_median(lat_ns, count),
	       (unsigned long)bench_select(lat_ns, count, count * 99 / 100),
	       (unsigned long)max);
	kernel_shutdown(SHUTDOWN_poweroff);
}
