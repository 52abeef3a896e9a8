/*
 * hcall_bench.c: init=hcall-bench [count=N], the cost of a null hypercall.
 *
 * N calls of xen_version(XENVER_version) are timed with the PV clock in
 * up to BENCH_BATCHES batches; each batch gives a per-call time, and the
 * median and 90th percentile over batches are printed on one line that
 * scripts parse:
 *
 *   hcall-bench: n=20000 median_ns=X p90_ns=Y
 *
 * Batching keeps the clock's own cost (an rdtsc) out of the result, and
 * the median ignores batches hit by host scheduling noise.
 */
#include <stdint.h>

#include <pvos/cmdline.h>
#include <pvos/console.h>
#include <pvos/hypercall.h>
#include <pvos/kernel.h>
#include <pvos/time.h>
#include <pvos/xen.h>

#define BENCH_DEFAULT_COUNT	20000
#define BENCH_MAX_COUNT		100000000
#define BENCH_BATCHES		100

static uint64_t batch_ns[BENCH_BATCHES];

static void sort(uint64_t *v, unsigned int n)
{
	for (unsigned int i = 1; i < n; i++) {
		uint64_t x = v[i];
		unsigned int j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

static uint64_t time_batch(uint64_t calls)
{
	uint64_t start = time_now_ns();
	long r;

	for (uint64_t i = 0; i < calls; i++) {
		r = HYPERVISOR_xen_version(XENVER_version, 0);
		if (r < 0)
			panic("hcall-bench: xen_version failed (%ld)", r);
	}
	return (time_now_ns() - start) / calls;
}

void workload_hcall_bench(void)
{
	uint64_t count;
	unsigned int batches;

	if (cmdline_get_u64("count", BENCH_DEFAULT_COUNT, 1, BENCH_MAX_COUNT,
			    &count) < 0)
		panic("hcall-bench: count= must be a number from 1 to %d",
		      BENCH_MAX_COUNT);
	if (!time_is_available())
		panic("hcall-bench: no PV clock (tsc_to_system_mul is 0)");
	batches = count < BENCH_BATCHES ? (unsigned int)count : BENCH_BATCHES;
	(void)HYPERVISOR_xen_version(XENVER_version, 0);	/* warm up */
	for (unsigned int b = 0; b < batches; b++) {
		/* Spread the remainder so the batches add up to count. */
		uint64_t calls = count / batches + (b < count % batches);

		batch_ns[b] = time_batch(calls);
	}
	sort(batch_ns, batches);
	printk("hcall-bench: n=%lu median_ns=%lu p90_ns=%lu\n",
	       (unsigned long)count, (unsigned long)batch_ns[batches / 2],
	       (unsigned long)batch_ns[batches * 9 / 10]);
	kernel_shutdown(SHUTDOWN_poweroff);
}
